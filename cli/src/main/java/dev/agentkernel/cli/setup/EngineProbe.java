package dev.agentkernel.cli.setup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.cli.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks the Docker engine a few read-only questions (ping, version, info, is this image here) with one small
 * HTTP request each, straight over its socket. It is cheap enough to run before every embedded command
 * (a few milliseconds), needs nothing but the JDK, and works when the backend itself cannot be opened,
 * which is exactly when {@code setup} and {@code doctor} need answers.
 */
public final class EngineProbe {
    public static final String DEFAULT_SOCKET = "/var/run/docker.sock";
    private static final long TIMEOUT_MS = 3000;

    private final String endpoint;
    private final SocketAddress address;

    private EngineProbe(String endpoint, SocketAddress address) {
        this.endpoint = endpoint;
        this.address = address;
    }

    /** The engine {@code DOCKER_HOST} names ({@code unix://} or {@code tcp://}), else the default socket. */
    public static EngineProbe fromEnv(Map<String, String> env) {
        String host = env.get("DOCKER_HOST");
        if (host == null || host.isBlank()) {
            return new EngineProbe("unix://" + DEFAULT_SOCKET, UnixDomainSocketAddress.of(DEFAULT_SOCKET));
        }
        URI uri = URI.create(host.trim());
        if ("unix".equals(uri.getScheme())) {
            return new EngineProbe(host, UnixDomainSocketAddress.of(uri.getPath()));
        }
        if ("tcp".equals(uri.getScheme()) || "http".equals(uri.getScheme())) {
            return new EngineProbe(host, new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 2375 : uri.getPort()));
        }
        throw new IllegalArgumentException("DOCKER_HOST=" + host + " is not unix:// or tcp://");
    }

    public String endpoint() {
        return endpoint;
    }

    /** For a unix socket: whether the socket file exists (engine installed and started at some point). */
    public boolean socketExists() {
        return !(address instanceof UnixDomainSocketAddress u) || Files.exists(u.getPath());
    }

    public Optional<Path> socketPath() {
        return address instanceof UnixDomainSocketAddress u ? Optional.of(u.getPath()) : Optional.empty();
    }

    /** Whether the engine answers {@code /_ping}; the failure, if any, in {@code why}. */
    public Result ping() {
        try {
            Response r = get("/_ping");
            return r.status == 200 ? Result.OK : new Result(false, "the engine answered HTTP " + r.status);
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Result(false, m);
        }
    }

    public Optional<JsonNode> version() {
        return json("/version");
    }

    public Optional<JsonNode> info() {
        return json("/info");
    }

    public boolean imagePresent(String image) {
        try {
            return get("/images/" + URLEncoder.encode(image, StandardCharsets.UTF_8).replace("%2F", "/")
                    .replace("%3A", ":") + "/json").status == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private Optional<JsonNode> json(String path) {
        try {
            Response r = get(path);
            return r.status == 200 ? Optional.of(Json.MAPPER.readTree(r.body)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The answer of a probe. */
    public record Result(boolean ok, String why) {
        static final Result OK = new Result(true, null);
    }

    private record Response(int status, byte[] body) {
    }

    /** One HTTP/1.0 GET: the engine closes the connection after the answer, so no chunking to decode. */
    private Response get(String path) throws IOException {
        try (SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open()) {
            ScheduledFuture<?> watchdog = TIMER.schedule(() -> {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all we can do
                }
            }, TIMEOUT_MS, TimeUnit.MILLISECONDS);
            ch.connect(address);
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (ch.read(buf) >= 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            watchdog.cancel(false);
            return parse(all.toByteArray());
        }
    }

    /** Closes a connection that hangs (a paused engine, a wrong tcp:// address): blocking channels have no timeout. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agentkernel-probe-timeout");
        t.setDaemon(true);
        return t;
    });

    private static Response parse(byte[] raw) throws IOException {
        String head = new String(raw, 0, Math.min(raw.length, 64), StandardCharsets.US_ASCII);
        if (!head.startsWith("HTTP/")) {
            throw new IOException("not an HTTP answer from the engine socket");
        }
        int status = Integer.parseInt(head.substring(9, 12));
        int bodyStart = 0;
        for (int i = 0; i + 3 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' && raw[i + 3] == '\n') {
                bodyStart = i + 4;
                break;
            }
        }
        byte[] body = new byte[raw.length - bodyStart];
        System.arraycopy(raw, bodyStart, body, 0, body.length);
        return new Response(status, body);
    }
}
