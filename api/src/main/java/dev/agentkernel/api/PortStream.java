package dev.agentkernel.api;

/**
 * One TCP connection to a port inside a sandbox, made from inside it (to {@code 127.0.0.1:port} in the sandbox's
 * own network namespace) through the sandbox's agent, so it works with no network and on every backend. Bytes from
 * the sandbox come to the {@link PortListener}; flow is credit-based both ways so that a slow reader on either side
 * pauses only its own connection: the sandbox side sends at most {@link #WINDOW} bytes the caller has not yet
 * {@linkplain #consumed consumed}, and {@link #write} waits while {@link #WINDOW} bytes written are not yet taken by
 * the sandbox side. Thread-safe.
 */
public interface PortStream extends AutoCloseable {
    /** Bytes in flight per direction before the sender waits. */
    int WINDOW = 1 << 20;

    /**
     * Sends bytes to the port. Blocks while the window is full (never call it on an event loop: hand it to a worker
     * or check {@link #writable} first); throws {@code CONFLICT} once the connection has ended.
     */
    void write(byte[] data);

    /** Whether {@link #write} of {@code bytes} would return without waiting. */
    boolean writable(int bytes);

    /** Runs {@code action} once (on any thread) when the write window has room again; at once if it has now. */
    void onWritable(Runnable action);

    /** The caller has passed on {@code bytes} of what {@link PortListener#onData} gave it: the sandbox may send more. */
    void consumed(long bytes);

    /** No more bytes will be written (the sandbox side reads end-of-file; its answers still come). Idempotent. */
    void closeWrite();

    /** Ends the connection both ways; the listener hears {@link PortListener#onClosed} if it has not yet. Idempotent. */
    @Override
    void close();
}
