package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.Validation;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/** Commands: {@code /run}, {@code /run/stream}, {@code /batch/run}, exec and exec streams in named sandboxes. */
final class CommandHandlers {
    /** Non-streaming calls listen to nothing but can still be cancelled. */
    private static final RunListener NO_EVENTS = new RunListener() { };

    private final AgentKernel kernel;
    private final Calls calls;
    private final ServerMetrics metrics;
    private final CancelExecutor cancels;
    private final SseStream.Limits streamLimits;
    /** Cancellations of the open streams, fired when the server shuts down for good. */
    private final Set<Cancellation> openStreams = ConcurrentHashMap.newKeySet();

    CommandHandlers(AgentKernel kernel, Calls calls, ServerMetrics metrics, CancelExecutor cancels,
                    SseStream.Limits streamLimits) {
        this.kernel = kernel;
        this.calls = calls;
        this.metrics = metrics;
        this.cancels = cancels;
        this.streamLimits = streamLimits;
    }

    void run(RoutingContext ctx) {
        Cancellation cancellation = cancelledWhenClientLeaves(ctx);
        calls.respondToCommand(ctx, 200, () -> {
            RunRequest request = Requests.run(Calls.body(ctx));
            return Wire.run(counted("run", () -> kernel.runStreaming(request, NO_EVENTS, cancellation)));
        });
    }

    void batch(RoutingContext ctx) {
        calls.respondToCommand(ctx, 200, () -> {
            List<BatchOutcome> outcomes = kernel.batch(Requests.batch(Calls.body(ctx)));
            for (BatchOutcome o : outcomes) {
                if (o.result() != null) {
                    metrics.command("batch", "ok", o.result().exec().duration().toNanos());
                } else {
                    metrics.command("batch", o.error().code().code(), 0);
                }
            }
            return Wire.batch(outcomes);
        });
    }

    void exec(RoutingContext ctx) {
        String name = Validation.sandboxName(ctx.pathParam("name"));
        Cancellation cancellation = cancelledWhenClientLeaves(ctx);
        calls.respondToCommand(ctx, 200, () -> {
            ExecRequest request = Requests.exec(Calls.body(ctx));
            return Wire.exec(counted("exec", () -> kernel.execStreaming(name, request, NO_EVENTS, cancellation)));
        });
    }

    /**
     * A client that gives up on {@code /run} or exec (e.g. its own timeout) closes the connection: the command is
     * killed then rather than running on for nobody. Only while the answer is pending: a finished command is
     * never signalled. The close handler runs on the event loop, so the kill itself is handed to the
     * {@link CancelExecutor}.
     */
    private Cancellation cancelledWhenClientLeaves(RoutingContext ctx) {
        Cancellation cancellation = Cancellation.create();
        ctx.response().closeHandler(v -> {
            if (!ctx.response().ended()) {
                cancels.cancel(cancellation);
            }
        });
        return cancellation;
    }

    void runStream(RoutingContext ctx) {
        stream(ctx, "run", (sse, cancel) -> {
            RunRequest request = Requests.run(Calls.body(ctx));
            return kernel.runStreaming(request, sse, cancel).exec();
        });
    }

    void execStream(RoutingContext ctx) {
        String name = Validation.sandboxName(ctx.pathParam("name"));
        stream(ctx, "exec", (sse, cancel) -> {
            ExecRequest request = Requests.exec(Calls.body(ctx));
            return kernel.execStreaming(name, request, sse, cancel);
        });
    }

    /** What a stream runs on its worker thread (the request body is parsed there too). */
    @FunctionalInterface
    private interface StreamCall {
        ExecResult call(SseStream sse, Cancellation cancellation) throws Exception;
    }

    private void stream(RoutingContext ctx, String kind, StreamCall call) {
        Cancellation cancellation = Cancellation.create();
        openStreams.add(cancellation);
        metrics.streamOpened();
        SseStream sse = new SseStream(ctx, cancellation, cancels, streamLimits, metrics, () -> {
            openStreams.remove(cancellation);
            metrics.streamClosed();
        });
        calls.workers().command(RequestIds.of(ctx), () -> {
            long start = System.nanoTime();
            try {
                ExecResult result = call.call(sse, cancellation);
                metrics.command(kind, result.timedOut() ? "timed_out" : "ok", System.nanoTime() - start);
                sse.complete(result);
            } catch (Throwable t) {
                metrics.command(kind, SseStream.outcomeOf(t), System.nanoTime() - start);
                sse.fail(t);
            }
            return null;
        }).onFailure(sse::fail); // refused before it ran (busy)
    }

    /** Cancels every open stream: their commands are killed and temporary sandboxes removed. */
    void cancelAll() {
        openStreams.forEach(Cancellation::cancel);
    }

    private <T> T counted(String kind, Callable<T> call) throws Exception {
        long start = System.nanoTime();
        try {
            T result = call.call();
            ExecResult exec = result instanceof RunResult r ? r.exec() : (ExecResult) result;
            metrics.command(kind, exec.timedOut() ? "timed_out" : "ok", System.nanoTime() - start);
            return result;
        } catch (Exception e) {
            metrics.command(kind, SseStream.outcomeOf(e), System.nanoTime() - start);
            throw e;
        }
    }
}
