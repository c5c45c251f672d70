package dev.agentkernel.server;

import dev.agentkernel.core.CallContext;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every request gets an id: the caller's {@code X-Request-Id} when it is one sane value, else a new one. It is echoed
 * in the {@code X-Request-Id} response header, written in the access log, the audit events and error bodies
 * ({@code request_id}). A valid W3C {@code traceparent} is kept beside it (an invalid one is ignored).
 */
final class RequestIds {
    static final String HEADER = "X-Request-Id";
    private static final String KEY = "agentkernel.call";

    private RequestIds() {
    }

    /** Gives the request its context and echoes the id; the first thing the router does. */
    static CallContext assign(RoutingContext ctx) {
        CallContext call = of(ctx.request());
        ctx.put(KEY, call);
        ctx.response().putHeader(HEADER, call.requestId());
        return call;
    }

    /** The context of a request the router has seen. */
    static CallContext of(RoutingContext ctx) {
        CallContext call = ctx.get(KEY);
        return call != null ? call : assign(ctx);
    }

    /** The context from the headers alone (also for requests that never reach the router). */
    static CallContext of(HttpServerRequest request) {
        List<String> given = request.headers().getAll(HEADER);
        String id = given.size() == 1 && CallContext.saneRequestId(given.get(0)) ? given.get(0) : newId();
        List<String> trace = request.headers().getAll("traceparent");
        return new CallContext(id, trace.size() == 1 ? CallContext.traceparent(trace.get(0)) : null);
    }

    /** 128 random bits in hex: unique enough to find a request in logs; not a secret. */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return String.format("%016x%016x", r.nextLong(), r.nextLong());
    }
}
