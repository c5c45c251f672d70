package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.CallContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs blocking kernel calls off the event loops, unordered, so that calls of one connection do not queue behind
 * each other; the result is delivered back on the request's context.
 *
 * <p>Two kinds, kept apart so that a burst of commands never delays a short call: short calls (sandbox state, files,
 * logs, pool) run on a small fixed pool; commands (run, exec, streams, batches) each get a thread of their own, made
 * when needed and ended after {@link #IDLE} unused, because a command may wait in the kernel's admission queue
 * ({@code limits.max_queued_runs}, {@code queue_timeout_ms}) and the queue, not this class, decides when a burst is
 * too much. Overall at most {@code maxInFlight} calls are accepted (running or waiting); beyond that the caller gets
 * {@code busy} (429 + {@code Retry-After}).
 */
final class BlockingCalls implements AutoCloseable {
    /** Command threads left idle this long end: a burst's threads do not stay. */
    static final Duration IDLE = Duration.ofSeconds(10);

    private final Vertx vertx;
    private final ThreadPoolExecutor shortCalls;
    private final ThreadPoolExecutor commands;
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    BlockingCalls(Vertx vertx, int threads, int maxInFlight) {
        this.vertx = vertx;
        this.maxInFlight = maxInFlight;
        this.shortCalls = new ThreadPoolExecutor(threads, threads, IDLE.toMillis(), TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), named("agentkernel-call-"));
        this.shortCalls.allowCoreThreadTimeOut(true);
        // A synchronous hand-off: a free idle thread takes the command (the most recently idle one, so the others
        // age out), else a new thread is made; never queued behind a running command.
        this.commands = new ThreadPoolExecutor(0, maxInFlight, IDLE.toMillis(), TimeUnit.MILLISECONDS,
                new SynchronousQueue<>(), named("agentkernel-command-"));
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A short kernel call (no command), in the request's {@link CallContext}. */
    <T> Future<T> submit(CallContext caller, Callable<T> call) {
        return run(shortCalls, caller, call);
    }

    /** A command (it may wait for admission and run for minutes), in the request's {@link CallContext}. */
    <T> Future<T> command(CallContext caller, Callable<T> call) {
        return run(commands, caller, call);
    }

    /**
     * Runs {@code call} within the caller's context: its audit events carry the request id, and so do its log lines
     * (MDC key {@code request_id}).
     */
    private <T> Future<T> run(Executor executor, CallContext caller, Callable<T> call) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            return Future.failedFuture(busy());
        }
        Context context = vertx.getOrCreateContext();
        Promise<T> promise = Promise.promise();
        try {
            executor.execute(() -> {
                T result = null;
                Throwable failure = null;
                try (CallContext.Scope ignored = caller.enter();
                     MDC.MDCCloseable ignored2 = MDC.putCloseable("request_id", caller.requestId())) {
                    result = call.call();
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    inFlight.decrementAndGet();
                }
                T r = result;
                Throwable f = failure;
                context.runOnContext(v -> {
                    if (f == null) {
                        promise.complete(r);
                    } else {
                        promise.fail(f);
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            inFlight.decrementAndGet();
            return Future.failedFuture(busy());
        }
        return promise.future();
    }

    private static AgentKernelException busy() {
        return new AgentKernelException.BusyException("Server is busy: too many requests in progress; retry later");
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
        shortCalls.shutdown();
        commands.shutdown();
    }
}
