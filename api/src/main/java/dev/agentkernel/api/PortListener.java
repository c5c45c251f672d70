package dev.agentkernel.api;

/**
 * Hears a {@link PortStream}. Called on the implementation's threads, one call at a time and in order; a listener
 * must not block (the sandbox's other traffic shares the channel), so it hands data on, and calls
 * {@link PortStream#consumed} once it has.
 */
public interface PortListener {
    /** Bytes the sandbox side sent. */
    void onData(byte[] data);

    /** The sandbox side will send no more (its close or shutdown of writing); writing may still go on. */
    void onEnd();

    /**
     * The connection is over both ways: {@code error} is null after a clean end, else what went wrong (the port
     * refused the connection, the sandbox stopped, the channel broke). Called exactly once.
     */
    void onClosed(String error);
}
