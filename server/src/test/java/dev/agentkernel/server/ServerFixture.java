package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.server.testing.FailOnBlockedEventLoop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A real server on a free loopback port over a given backend, with a small HTTP client for assertions. */
public final class ServerFixture implements AutoCloseable {
    final AgentKernel kernel;
    final AgentKernelServer server;
    final AuditLog audit;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String apiKey;

    ServerFixture(Backend backend, AgentKernelConfig config, Path auditFile,
                  java.util.function.UnaryOperator<ServerOptions> tweak,
                  java.util.function.UnaryOperator<AgentKernel.Builder> kernelTweak) {
        this.audit = AuditLog.open(auditFile);
        this.kernel = kernelTweak.apply(AgentKernel.builder().backend(backend).config(config).auditLog(audit)).build().start();
        ServerOptions options = tweak.apply(ServerOptions.from(config, null).withPort(0).withHost("127.0.0.1")
                .withBlockedLoopWarning(FailOnBlockedEventLoop.WARNING));
        this.apiKey = options.apiKey();
        this.server = AgentKernelServer.start(kernel, options);
    }

    /** Test configuration: no warm pool (deterministic), a short default timeout. */
    static AgentKernelConfig config(int maxConcurrentRuns) {
        return config(maxConcurrentRuns, 0);
    }

    /** Test configuration with a warm pool of {@code poolSize} per key. */
    static AgentKernelConfig config(int maxConcurrentRuns, int poolSize) {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        return new AgentKernelConfig(d.server(), d.sandbox(), d.resources(),
                new AgentKernelConfig.Pool(poolSize, Math.max(poolSize, 1) * 4),
                new AgentKernelConfig.Limits(Duration.ofSeconds(60), d.limits().maxOutputBytes(),
                        d.limits().maxFileBytes(), maxConcurrentRuns),
                d.audit(), d.images());
    }

    /** Waits up to 10 s until the fake backend runs no command and holds no temporary sandbox, then asserts it. */
    static void assertNothingRunning(FakeBackend fake) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((!fake.execsInFlight().isEmpty() || fake.names().stream().anyMatch(n -> n.startsWith("run-")))
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(fake.execsInFlight()).isEmpty();
        assertThat(fake.names()).noneMatch(n -> n.startsWith("run-"));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    /** An answer: status, headers and body (parsed as JSON when it is JSON). */
    public record Reply(int status, java.net.http.HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return Wire.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    Reply get(String path) {
        return send("GET", path, null, null, Map.of());
    }

    Reply post(String path, String json) {
        return send("POST", path, json, json == null ? null : "application/json", Map.of());
    }

    Reply put(String path, String json) {
        return send("PUT", path, json, "application/json", Map.of());
    }

    Reply delete(String path) {
        return send("DELETE", path, null, null, Map.of());
    }

    /** Sends with the fixture's API key (if any) unless the headers carry credentials of their own. */
    Reply send(String method, String path, String body, String contentType, Map<String, List<String>> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        boolean ownCredentials = headers.containsKey("X-API-Key") || headers.containsKey("Authorization");
        if (apiKey != null && !ownCredentials && !headers.containsKey("no-key")) {
            b.header("X-API-Key", apiKey);
        }
        headers.forEach((k, vs) -> {
            if (!k.equals("no-key")) {
                vs.forEach(v -> b.header(k, v));
            }
        });
        try {
            HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends raw bytes on a fresh connection and returns everything the server answers until it closes or 5 s pass. */
    String raw(String request) {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    b.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    if (b.indexOf("\r\n\r\n") >= 0 && complete(b)) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                // return what arrived
            }
            return b.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean complete(StringBuilder b) {
        String head = b.substring(0, b.indexOf("\r\n\r\n"));
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                int len = Integer.parseInt(line.substring(15).trim());
                return b.toString().getBytes(StandardCharsets.UTF_8).length >= b.indexOf("\r\n\r\n") + 4 + len;
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            kernel.close();
        }
    }
}
