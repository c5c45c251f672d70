package dev.agentkernel.api;

import java.util.concurrent.CompletableFuture;

/**
 * An interactive command running on a pseudo-terminal in a sandbox ({@link Sandboxes#openPty}). Input goes to the
 * terminal as typed (so {@code 0x03}, Ctrl-C, reaches the foreground process as SIGINT); output comes to the
 * {@link PtyListener}. Closing kills the command's whole process tree, as a cancelled exec. Thread-safe.
 */
public interface PtySession extends AutoCloseable {
    /** Sends bytes to the terminal; may wait briefly while the sandbox catches up. Ignored once ended. */
    void write(byte[] data);

    /** Sets the terminal's size; the foreground process gets SIGWINCH. Ignored once ended. */
    void resize(int rows, int cols);

    /** Completes with the exit status as {@link PtyListener#onExit} reports it. */
    CompletableFuture<Integer> exitCode();

    /** Ends the session: the command and everything it started are killed. Idempotent. */
    @Override
    void close();
}
