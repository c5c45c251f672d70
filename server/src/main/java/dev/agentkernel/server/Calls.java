package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.Callable;

/**
 * Answers a request with the result of a blocking kernel call: the envelope on success, the failure handler otherwise.
 * The call, the parsing of its request body and the serialisation of its answer (a command's output can be tens of
 * MiB of JSON) all run on a worker; the event loop only hands over bytes.
 */
final class Calls {
    private final BlockingCalls workers;

    Calls(BlockingCalls workers) {
        this.workers = workers;
    }

    BlockingCalls workers() {
        return workers;
    }

    /** Answers with a short call's result. */
    void respond(RoutingContext ctx, int status, Callable<JsonNode> call) {
        answer(ctx, status, workers.submit(RequestIds.of(ctx), envelope(call)));
    }

    /** Answers with a command's result (see {@link BlockingCalls#command}). */
    void respondToCommand(RoutingContext ctx, int status, Callable<JsonNode> call) {
        answer(ctx, status, workers.command(RequestIds.of(ctx), envelope(call)));
    }

    /** The call, then its answer serialised, both on the worker. */
    private static Callable<Buffer> envelope(Callable<JsonNode> call) {
        return () -> Buffer.buffer(Wire.writeBytes(Wire.ok(call.call())));
    }

    private static void answer(RoutingContext ctx, int status, io.vertx.core.Future<Buffer> result) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                Responses.json(ctx.response(), status, ar.result());
            } else {
                ctx.fail(ar.cause());
            }
        });
    }

    /** The JSON body of the request (the body handler has read it, within the size limit). Parse it on a worker. */
    static JsonRequest body(RoutingContext ctx) {
        return JsonRequest.parse(ctx.body().buffer() == null ? null : ctx.body().buffer().getBytes());
    }
}
