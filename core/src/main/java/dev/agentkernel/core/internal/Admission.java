package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the commands in flight ({@code limits.max_concurrent_runs}). Excess callers wait up to a bounded time,
 * in arrival order, then get {@code BUSY} (the server answers 429/503 with {@code Retry-After}). Thread-safe.
 */
public final class Admission {
    private final int max;
    private final Semaphore slots;
    private final Duration maxWait;

    public Admission(int max, Duration maxWait) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive");
        }
        this.max = max;
        this.slots = new Semaphore(max, true);
        this.maxWait = maxWait;
    }

    /** A held slot; closing it gives the slot back (once). */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    public Permit acquire() {
        boolean got;
        try {
            got = slots.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BusyException("Interrupted while waiting for a free run slot");
        }
        if (!got) {
            throw new AgentKernelException.BusyException("Too many commands running (limit " + max
                    + "); retry later");
        }
        boolean[] released = {false};
        return () -> {
            synchronized (released) {
                if (!released[0]) {
                    released[0] = true;
                    slots.release();
                }
            }
        };
    }

    public int inFlight() {
        return max - slots.availablePermits();
    }

    public int max() {
        return max;
    }
}
