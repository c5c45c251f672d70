package dev.agentkernel.core;

/**
 * What the kernel measures, handed to whoever records it (the server's Micrometer registry; nothing by default).
 * core stays free of any metrics library: this is the whole contract. Implementations are called on the kernel's
 * hot paths from many threads, so they must be thread-safe, cheap and never throw.
 *
 * <p>Every duration is in nanoseconds. Label values are bounded sets (operation names, outcomes), never user input.
 */
public interface KernelMetrics {
    /** Records nothing. */
    KernelMetrics NONE = new KernelMetrics() { };

    /**
     * One call into the engine (the {@link Backend}), e.g. {@code create}, {@code exec}, {@code remove}.
     *
     * @param operation the {@link Backend} method
     * @param ok        whether it answered without an exception
     */
    default void engineCall(String operation, long nanos, boolean ok) {
    }

    /**
     * Time a command waited for admission ({@code limits.max_concurrent_runs}).
     *
     * @param operation {@code run} or {@code exec}
     * @param admitted  false when the wait ended in a refusal ({@code BUSY})
     */
    default void admissionWait(String operation, long nanos, boolean admitted) {
    }

    /** Time a run took to get a warm sandbox from the pool, or to learn there was none ({@code hit} false). */
    default void poolClaim(long nanos, boolean hit) {
    }

    /** One audit event written and forced to disk, as the caller waited for it. */
    default void auditAppend(long nanos) {
    }
}
