package dev.agentkernel.server;

import dev.agentkernel.api.Cancellation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fires cancellations away from the event loop. Cancelling runs backend code (a KILL frame to the sandbox's agent, a
 * call to the engine) that may wait on a sandbox that no longer reads; on an event loop that wait would freeze every
 * connection the loop serves, {@code /health} included. So a close handler only hands the cancellation over, to
 * threads of its own: neither the API workers (a cancel that hangs must not cost a command its slot) nor Vert.x's
 * shared pool (which answers {@code /health}). Bounded: a burst of departures queues here instead of making threads.
 */
final class CancelExecutor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CancelExecutor.class);
    static final int THREADS = 4;

    private final ThreadPoolExecutor executor;

    CancelExecutor() {
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "agentkernel-cancel-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    /** Cancels on one of this executor's threads; returns at once. After {@link #close} it cancels in the caller. */
    void cancel(Cancellation cancellation) {
        if (cancellation.isCancelled()) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    cancellation.cancel();
                } catch (RuntimeException e) {
                    LOG.warn("cancelling a command failed: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            cancellation.cancel(); // shutting down: the caller is the closing thread, not an event loop
        }
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
