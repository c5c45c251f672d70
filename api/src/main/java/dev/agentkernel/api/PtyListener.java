package dev.agentkernel.api;

/**
 * Hears a {@link PtySession}. Called on the implementation's threads, one call at a time and in order; a listener
 * must not block (a slow one holds up the sandbox's other output), so it hands data on and returns.
 */
public interface PtyListener {
    /** Bytes the terminal produced (the command's output and the terminal's echo of its input). */
    void onOutput(byte[] data);

    /**
     * The session ended: the command's exit status (128+N when killed by signal N: 137 after {@link PtySession#close}),
     * or -1 when the connection to the sandbox (or to the server) failed. Called exactly once.
     */
    void onExit(int exitCode);
}
