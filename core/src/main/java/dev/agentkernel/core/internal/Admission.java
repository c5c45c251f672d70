package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the commands in flight ({@code limits.max_concurrent_runs}); the excess waits in a queue, in arrival order.
 * A burst is queued, not shed: a caller is refused ({@code BUSY}, the server answers 429 with {@code Retry-After})
 * only when the queue already holds {@code maxQueued} callers, or when it waited {@code maxWait} without a slot.
 * Thread-safe.
 */
public final class Admission {
    private final int max;
    private final int maxQueued;
    private final Semaphore slots;
    private final Duration maxWait;
    private final AtomicInteger queued = new AtomicInteger();

    public Admission(int max, int maxQueued, Duration maxWait) {
        if (max <= 0 || maxQueued < 0) {
            throw new IllegalArgumentException("max must be positive and maxQueued not negative");
        }
        this.max = max;
        this.maxQueued = maxQueued;
        this.slots = new Semaphore(max, true);
        this.maxWait = maxWait;
    }

    /** A held slot; closing it gives the slot back (once). */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    public Permit acquire() {
        if (!slots.tryAcquire()) {
            waitForSlot();
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

    private void waitForSlot() {
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            throw new AgentKernelException.BusyException("Too many commands waiting (" + maxQueued
                    + " queued behind " + max + " running); retry later");
        }
        boolean got;
        try {
            got = slots.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BusyException("Interrupted while waiting for a free run slot");
        } finally {
            queued.decrementAndGet();
        }
        if (!got) {
            throw new AgentKernelException.BusyException("No free run slot within " + maxWait.toMillis()
                    + " ms (limit " + max + " running); retry later");
        }
    }

    public int inFlight() {
        return max - slots.availablePermits();
    }

    /** Callers waiting for a slot now. */
    public int queued() {
        return queued.get();
    }

    public int max() {
        return max;
    }
}
