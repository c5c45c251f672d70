package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A raw WebSocket client of {@code GET /sandboxes/{name}/pty} (the JDK's), recording output, control messages and
 * the close. With {@code reading} false it never asks for a message after the first: a reader that stalls.
 */
final class WsTerminal implements WebSocket.Listener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    final List<JsonNode> control = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final boolean reading;
    private final StringBuilder text = new StringBuilder();
    WebSocket ws;

    private WsTerminal(boolean reading) {
        this.reading = reading;
    }

    static WsTerminal open(int port, String pathAndQuery, String apiKey) throws Exception {
        return open(port, pathAndQuery, apiKey, true);
    }

    static WsTerminal open(int port, String pathAndQuery, String apiKey, boolean reading) throws Exception {
        WsTerminal t = new WsTerminal(reading);
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (apiKey != null) {
            b.header("X-API-Key", apiKey);
        }
        t.ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + pathAndQuery), t).get(10, TimeUnit.SECONDS);
        return t;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public synchronized CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        output.write(b, 0, b.length);
        notifyAll();
        if (reading) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public synchronized CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            try {
                control.add(JSON.readTree(text.toString()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            text.setLength(0);
        }
        notifyAll();
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode.complete(statusCode);
        synchronized (this) {
            notifyAll();
        }
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.complete(-1);
    }

    void type(String s) {
        ws.sendBinary(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), true).join();
    }

    void resize(int rows, int cols) {
        ws.sendText("{\"type\":\"resize\",\"rows\":" + rows + ",\"cols\":" + cols + "}", true).join();
    }

    synchronized String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    synchronized int outputBytes() {
        return output.size();
    }

    synchronized void await(String s) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!output().contains(s)) {
            long left = end - System.nanoTime();
            if (left <= 0 || closeCode.isDone()) {
                throw new AssertionError("no '" + s + "' in the terminal's output: " + output() + " " + control);
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, 100_000_000));
        }
    }

    /** The control message of this type, waiting for it. */
    JsonNode awaitControl(String type) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            for (JsonNode n : control) {
                if (type.equals(n.path("type").asText())) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + type + "' message; got " + control + ", output " + output());
    }

    @Override
    public void close() {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
    }
}
