package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A terminal on a remote server: {@code GET /sandboxes/{name}/pty} as a WebSocket (see the OpenAPI document for the
 * messages). {@link #open} returns once the server says the terminal is open, or throws the server's error.
 */
final class RemotePty implements PtySession, WebSocket.Listener {
    private final PtyListener listener;
    private final ObjectMapper mapper;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();
    private volatile WebSocket ws;
    private volatile Integer exitCode;

    private RemotePty(PtyListener listener, ObjectMapper mapper) {
        this.listener = listener;
        this.mapper = mapper;
    }

    static PtySession open(HttpClient http, URI baseUri, String path, PtyRequest request, PtyListener listener,
                           ObjectMapper mapper, Duration timeout, Consumer<BiConsumer<String, String>> auth) {
        URI uri = webSocketUri(baseUri, path, request);
        RemotePty pty = new RemotePty(listener, mapper);
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(timeout);
        auth.accept(b::header);
        CompletableFuture<WebSocket> connecting = b.buildAsync(uri, pty);
        try {
            pty.ws = connecting.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            pty.opened.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return pty;
        } catch (ExecutionException e) {
            abort(connecting);
            if (e.getCause() instanceof AgentKernelException ake) {
                throw ake;
            }
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                // Refused before the upgrade (bad query, key, Host): the status says which.
                Object body = h.getResponse().body();
                throw Errors.fromResponse(mapper, h.getResponse().statusCode(), body instanceof String s ? s : "");
            }
            throw Errors.transport(baseUri, "GET " + path, e.getCause() instanceof Exception x ? x : e);
        } catch (TimeoutException e) {
            abort(connecting);
            throw new AgentKernelException.OperationTimeoutException("The server did not open the terminal in "
                    + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            abort(connecting);
            throw Errors.transport(baseUri, "GET " + path, e);
        }
    }

    /** ws(s)://host/base/sandboxes/NAME/pty?rows=..&cols=..&cmd=..&env=K%3DV&workdir=.. */
    static URI webSocketUri(URI baseUri, String path, PtyRequest r) {
        StringBuilder q = new StringBuilder("rows=").append(r.rows()).append("&cols=").append(r.cols());
        if (!r.command().equals(PtyRequest.DEFAULT_SHELL)) {
            r.command().forEach(a -> q.append("&cmd=").append(encode(a)));
        }
        for (Map.Entry<String, String> e : r.env().entrySet()) {
            q.append("&env=").append(encode(e.getKey() + "=" + e.getValue()));
        }
        if (r.workdir() != null) {
            q.append("&workdir=").append(encode(r.workdir()));
        }
        URI http = baseUri.resolve(path.startsWith("/") ? path.substring(1) : path);
        String scheme = "https".equals(http.getScheme()) ? "wss" : "ws";
        return URI.create(scheme + http.toString().substring(http.getScheme().length()) + "?" + q);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.write(chunk, 0, chunk.length);
        if (last) {
            byte[] message = binary.toByteArray();
            binary.reset();
            listener.onOutput(message);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            control(text.toString());
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    private void control(String message) {
        JsonNode n;
        try {
            n = mapper.readTree(message);
        } catch (IOException e) {
            return;
        }
        switch (n.path("type").asText()) {
            case "opened" -> opened.complete(null);
            case "exit" -> {
                exitCode = n.path("exit_code").asInt(-1);
                opened.complete(null); // it did open (a quick command may end before "opened" is sent)
            }
            case "error" -> opened.completeExceptionally(Errors.fromEvent(n.path("code").asText(),
                    n.path("error").asText("the terminal failed")));
            default -> { } // a message of a later server: ignored
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        ended(exitCode == null ? -1 : exitCode, "the server closed the terminal (" + statusCode + " " + reason + ")");
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        ended(-1, "the connection to the server failed: " + error);
    }

    private void ended(int code, String why) {
        opened.completeExceptionally(new AgentKernelException.BackendUnavailableException(why, null));
        if (exit.complete(code)) {
            listener.onExit(code);
        }
    }

    /** In order, one message at a time (the JDK's WebSocket allows no overlapping sends). */
    @Override
    public synchronized void write(byte[] data) {
        send(() -> ws.sendBinary(ByteBuffer.wrap(data), true));
    }

    @Override
    public synchronized void resize(int rows, int cols) {
        PtyRequest.checkSize(rows, cols);
        send(() -> ws.sendText("{\"type\":\"resize\",\"rows\":" + rows + ",\"cols\":" + cols + "}", true));
    }

    private void send(Supplier<CompletableFuture<WebSocket>> op) {
        if (exit.isDone()) {
            return;
        }
        try {
            op.get().join();
        } catch (RuntimeException e) {
            // the connection ended: onClose/onError end the session
        }
    }

    @Override
    public CompletableFuture<Integer> exitCode() {
        return exit;
    }

    @Override
    public void close() {
        WebSocket w = ws;
        if (w != null && !exit.isDone()) {
            w.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((v, e) -> {
                if (e != null) {
                    w.abort();
                }
            });
        }
    }

    /**
     * Drops the connection, also one that completes after the caller gave up waiting (else the server's terminal
     * would stay open, unseen, until its idle timeout).
     */
    private static void abort(CompletableFuture<WebSocket> connecting) {
        connecting.thenAccept(WebSocket::abort);
    }
}
