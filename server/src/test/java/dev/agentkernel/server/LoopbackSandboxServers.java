package dev.agentkernel.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a test's fake sandbox serves on loopback (the fake backend's sandbox shares the host's loopback): an HTTP
 * server that records every request's headers, and a minimal WebSocket echo server written here.
 */
final class LoopbackSandboxServers implements AutoCloseable {
    static final int BIG_BYTES = 50 * 1024 * 1024;
    final HttpServer http;
    final ServerSocket ws;
    /** The headers of every request the HTTP server saw, in order. */
    final List<Headers> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Bytes of {@code /big} the HTTP server managed to write so far. */
    final AtomicLong bigWritten = new AtomicLong();

    LoopbackSandboxServers() throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        http.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sandbox-http");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/", this::handle);
        http.start();
        ws = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptWebSockets, "sandbox-ws");
        t.setDaemon(true);
        t.start();
    }

    int httpPort() {
        return http.getAddress().getPort();
    }

    int wsPort() {
        return ws.getLocalPort();
    }

    /** The last request's headers as one lower-cased text, for assertions on what reached the sandbox. */
    String lastHeaders() {
        Headers h = seen.get(seen.size() - 1);
        StringBuilder b = new StringBuilder();
        h.forEach((k, vs) -> vs.forEach(v -> b.append(k.toLowerCase()).append(": ").append(v).append('\n')));
        return b.toString();
    }

    private void handle(HttpExchange x) throws IOException {
        seen.add(x.getRequestHeaders());
        String path = x.getRequestURI().getPath();
        try (x) {
            switch (path) {
                case "/hello" -> {
                    byte[] body = ("hello from the sandbox " + x.getRequestURI()).getBytes(StandardCharsets.UTF_8);
                    x.getResponseHeaders().add("X-Sandbox", "yes");
                    x.getResponseHeaders().add("Set-Cookie", "session=from-the-sandbox; Path=/");
                    if (x.getRequestMethod().equals("HEAD")) {
                        x.sendResponseHeaders(200, -1);
                    } else {
                        x.sendResponseHeaders(200, body.length);
                        x.getResponseBody().write(body);
                    }
                }
                case "/echo" -> {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    long n = 0;
                    byte[] buf = new byte[65536];
                    InputStream in = x.getRequestBody();
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        sha.update(buf, 0, r);
                        n += r;
                    }
                    byte[] body = (n + " " + HexFormat.of().formatHex(sha.digest())).getBytes(StandardCharsets.UTF_8);
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                }
                case "/chunked" -> {
                    x.sendResponseHeaders(200, 0); // 0: chunked
                    OutputStream out = x.getResponseBody();
                    for (int i = 0; i < 100; i++) {
                        out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                case "/big" -> {
                    x.sendResponseHeaders(200, BIG_BYTES);
                    OutputStream out = x.getResponseBody();
                    byte[] block = new byte[64 * 1024];
                    for (int sent = 0; sent < BIG_BYTES; sent += block.length) {
                        out.write(block);
                        bigWritten.addAndGet(block.length);
                    }
                }
                default -> {
                    byte[] body = ("no such page " + path).getBytes(StandardCharsets.UTF_8);
                    x.sendResponseHeaders(404, body.length);
                    x.getResponseBody().write(body);
                }
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            // the client went away: nothing to do
        }
    }

    // ---- a minimal WebSocket echo (RFC 6455): text frames back unmasked

    private void acceptWebSockets() {
        while (!ws.isClosed()) {
            try {
                Socket s = ws.accept();
                Thread t = new Thread(() -> echo(s), "sandbox-ws-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            Map<String, String> head = readHead(in);
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(
                    (head.get("sec-websocket-key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                            .getBytes(StandardCharsets.US_ASCII)));
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (true) {
                int b0 = in.read();
                int b1 = in.read();
                if (b0 < 0 || b1 < 0) {
                    return;
                }
                int opcode = b0 & 0x0f;
                long len = b1 & 0x7f;
                if (len == 126) {
                    len = (in.read() << 8) | in.read();
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) {
                        len = (len << 8) | in.read();
                    }
                }
                byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : new byte[4];
                byte[] payload = in.readNBytes((int) len);
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i % 4];
                }
                if (opcode == 8) {
                    out.write(new byte[]{(byte) 0x88, 0});
                    return;
                }
                if (opcode == 1 || opcode == 2) {
                    out.write(frame(opcode, ("echo: " + new String(payload, StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8), null));
                    out.flush();
                }
            }
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            // the connection ended
        }
    }

    /** One final frame; masked when {@code mask} is given (a client's frames must be). */
    static byte[] frame(int opcode, byte[] payload, byte[] mask) {
        java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
        f.write(0x80 | opcode);
        int m = mask == null ? 0 : 0x80;
        if (payload.length < 126) {
            f.write(m | payload.length);
        } else {
            f.write(m | 126);
            f.write(payload.length >> 8);
            f.write(payload.length & 0xff);
        }
        if (mask != null) {
            f.writeBytes(mask);
            byte[] masked = payload.clone();
            for (int i = 0; i < masked.length; i++) {
                masked[i] ^= mask[i % 4];
            }
            f.writeBytes(masked);
        } else {
            f.writeBytes(payload);
        }
        return f.toByteArray();
    }

    /** Reads an HTTP head; header names lower-cased, the start line under {@code ""}. */
    static Map<String, String> readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed before the head ended: " + b);
            }
            b.append((char) c);
        }
        Map<String, String> h = new java.util.LinkedHashMap<>();
        List<String> lines = new ArrayList<>(List.of(b.toString().split("\r\n")));
        h.put("", lines.remove(0));
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                h.merge(l.substring(0, colon).trim().toLowerCase(), l.substring(colon + 1).trim(), (a, c) -> a + ", " + c);
            }
        }
        return h;
    }

    @Override
    public void close() throws IOException {
        http.stop(0);
        ws.close();
    }
}
