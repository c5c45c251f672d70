package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The commands in flight and the close protocol: a command registers before it starts, so {@link #close} either
 * sees it (and cancels it) or the command sees the kernel closed (and is refused). Thread-safe.
 */
public final class InFlightRegistry {
    private final Set<Cancellation> running = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed; // guarded by running

    /** A registered command; closing it unregisters it (and wakes a waiting {@link #awaitNone}). */
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Registers a command; refused with {@code BACKEND_UNAVAILABLE} once closing began. */
    public Registration track(Cancellation c) {
        synchronized (running) {
            ensureOpen(); // checked under the lock: close either sees this command or this command sees close
            running.add(c);
        }
        return () -> {
            synchronized (running) {
                running.remove(c);
                running.notifyAll();
            }
        };
    }

    /** Refuses when closing began. */
    public void ensureOpen() {
        if (isClosed()) {
            throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "agentkernel is shutting down");
        }
    }

    public boolean isClosed() {
        synchronized (running) {
            return closed;
        }
    }

    /** Marks closing and cancels every command in flight; true only for the first call. */
    public boolean closeAndCancelAll() {
        List<Cancellation> toCancel;
        synchronized (running) {
            if (closed) {
                return false;
            }
            closed = true;
            toCancel = List.copyOf(running);
        }
        toCancel.forEach(Cancellation::cancel);
        return true;
    }

    /** Waits until no command is in flight, at most {@code max}; returns whether none is. */
    public boolean awaitNone(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (running) {
            while (!running.isEmpty() && deadline - System.nanoTime() > 0) {
                try {
                    running.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return running.isEmpty();
        }
    }
}
