package dev.agentkernel.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets one thread cancel a command another thread is running (e.g. a streaming client went away).
 * A cancelled command is killed with its whole process tree, as on timeout. Thread-safe.
 */
public final class Cancellation {
    private final List<Runnable> callbacks = new ArrayList<>();
    private boolean cancelled;

    public static Cancellation create() {
        return new Cancellation();
    }

    /** Cancels; runs the registered callbacks once. Idempotent. */
    public void cancel() {
        List<Runnable> toRun;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            toRun = List.copyOf(callbacks);
            callbacks.clear();
        }
        toRun.forEach(Runnable::run);
    }

    public synchronized boolean isCancelled() {
        return cancelled;
    }

    /** Registers a callback run on cancel; runs it now if already cancelled. */
    public void onCancel(Runnable callback) {
        synchronized (this) {
            if (!cancelled) {
                callbacks.add(callback);
                return;
            }
        }
        callback.run();
    }
}
