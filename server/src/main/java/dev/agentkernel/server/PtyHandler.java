package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.CallContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /sandboxes/{name}/pty}: a terminal over a WebSocket. The request (query parameters) is checked and
 * refused with an ordinary HTTP error before the upgrade; after it, the kernel opens the terminal on a worker and a
 * {@link PtyBridge} carries the bytes. Errors after the upgrade (sandbox not found, busy, unsupported) come as one
 * text message {@code {"type":"error","code":..,"error":..}} and a close code of 4000 + the HTTP status.
 */
final class PtyHandler {
    /** The first message of a terminal that opened (a client waits for it or an error). */
    static final String OPENED = "{\"type\":\"opened\"}";
    private final AgentKernel kernel;
    private final BlockingCalls workers;
    private final ConnectionGuard connections;
    private final long outputBufferBytes;
    /**
     * Input and resizes, one session's in order; a write may wait for the sandbox, never on an event loop. Daemon
     * threads that end when idle: the server's close needs nothing of them (the kernel closes the sessions).
     */
    private final ExecutorService input = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agentkernel-pty-input");
        t.setDaemon(true);
        return t;
    });

    PtyHandler(AgentKernel kernel, BlockingCalls workers, ConnectionGuard connections, long outputBufferBytes) {
        this.kernel = kernel;
        this.workers = workers;
        this.connections = connections;
        this.outputBufferBytes = outputBufferBytes;
    }

    void open(RoutingContext ctx) {
        String name = Validation.sandboxName(ctx.pathParam("name"));
        PtyRequest request = request(ctx.queryParams());
        HttpServerRequest http = ctx.request();
        if (!"websocket".equalsIgnoreCase(http.getHeader(HttpHeaders.UPGRADE))) {
            throw new AgentKernelException.InvalidRequestException("GET /sandboxes/{name}/pty opens a WebSocket: the "
                    + "request needs 'Upgrade: websocket' (and 'Connection: Upgrade')");
        }
        CallContext caller = RequestIds.of(ctx);
        HttpConnection connection = http.connection();
        http.toWebSocket().onSuccess(ws -> {
            // From now on the connection is the session's: the slowloris guard must not count it idle.
            connections.upgraded(connection);
            PtyBridge bridge = new PtyBridge(ws, connection, input, outputBufferBytes);
            workers.submit(caller, () -> kernel.openPty(name, request, bridge)).onComplete(ar -> {
                if (ar.succeeded()) {
                    bridge.attach(ar.result());
                } else {
                    bridge.fail(ar.cause());
                }
            });
        }).onFailure(ctx::fail);
    }

    /**
     * The query: {@code rows}, {@code cols} (default 24x80), {@code cmd} once per argument (none: the image's shell),
     * {@code env} once per {@code K=V}, {@code workdir}.
     */
    static PtyRequest request(MultiMap q) {
        List<String> argv = q.getAll("cmd");
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : q.getAll("env")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw Validation.invalid("Invalid env: '" + Validation.printable(kv) + "' is not K=V");
            }
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return new PtyRequest(new ArrayList<>(argv), env, q.get("workdir"), size(q, "rows", PtyRequest.DEFAULT_ROWS),
                size(q, "cols", PtyRequest.DEFAULT_COLS));
    }

    private static int size(MultiMap q, String field, int fallback) {
        String v = q.get(field);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw Validation.invalid("Invalid " + field + ": '" + Validation.printable(v) + "' is not a number");
        }
    }

    /** A control message from the client: {@code {"type":"resize","rows":R,"cols":C}}; null when it is none. */
    static int[] resize(String text) {
        JsonNode n;
        try {
            n = Wire.MAPPER.readTree(text);
        } catch (Exception e) {
            return null;
        }
        if (n == null || !"resize".equals(n.path("type").asText()) || !n.path("rows").canConvertToInt()
                || !n.path("cols").canConvertToInt()) {
            return null;
        }
        return new int[]{n.get("rows").asInt(), n.get("cols").asInt()};
    }

    static String exitMessage(int code) {
        ObjectNode n = Wire.MAPPER.createObjectNode();
        n.put("type", "exit");
        n.put("exit_code", code);
        return Wire.write(n);
    }

    static String errorMessage(FailureRenderer.Rendered r) {
        ObjectNode n = Wire.error(r.message(), r.code());
        n.put("type", "error");
        return Wire.write(n);
    }
}
