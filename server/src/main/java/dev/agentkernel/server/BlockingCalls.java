package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.CallContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs blocking kernel calls on a bounded, named worker pool, never on an event loop, and unordered so that
 * calls of one connection do not queue behind each other. Admission control: at most {@code maxInFlight}
 * calls are accepted (running or queued); beyond that the caller gets a {@code busy} error (429 +
 * {@code Retry-After}) instead of an unbounded queue.
 */
final class BlockingCalls implements AutoCloseable {
    private final WorkerExecutor executor;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    BlockingCalls(Vertx vertx, int threads, int maxInFlight) {
        // Commands may legitimately run for minutes: no blocked-thread warnings for them.
        this.executor = vertx.createSharedWorkerExecutor("agentkernel-api-" + System.identityHashCode(this), threads,
                1, TimeUnit.DAYS);
        this.maxInFlight = maxInFlight;
    }

    /**
     * Runs {@code call} on a worker within the request's {@link CallContext} (its audit events carry the request id;
     * so do its log lines, through the MDC key {@code request_id}).
     */
    <T> Future<T> submit(CallContext caller, Callable<T> call) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return Future.failedFuture(new AgentKernelException.BusyException(
                    "Server is busy: too many requests in progress; retry later"));
        }
        return executor.executeBlocking(() -> {
            try (CallContext.Scope ignored = caller.enter();
                 MDC.MDCCloseable ignored2 = MDC.putCloseable("request_id", caller.requestId())) {
                return call.call();
            } finally {
                inFlight.decrementAndGet();
            }
        }, false);
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Waits until no call is running or queued, or the time is up. Returns whether it got idle. */
    boolean awaitIdle(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight.get() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        executor.close();
    }
}
