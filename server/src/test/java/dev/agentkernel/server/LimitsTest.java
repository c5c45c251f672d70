package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Idle timeout (slowloris), admission control and graceful shutdown. */
class LimitsTest {
    @TempDir
    Path dir;

    private final FakeBackend fake = new FakeBackend();

    private ServerFixture fixture(int maxRuns, Duration idle, Duration grace) {
        return new ServerFixture(fake, ServerFixture.config(maxRuns), dir.resolve("audit.jsonl"),
                o -> o.withTimeouts(idle, grace, Duration.ofSeconds(15)),
                b -> b.admissionWait(Duration.ofMillis(100)));
    }

    /** Waits (on a loaded machine, as long as needed) until a command is running in the backend. */
    private void awaitRunning() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (fake.execsInFlight().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(fake.execsInFlight()).isNotEmpty();
    }

    @Test
    void aConnectionThatNeverFinishesItsHeadersIsClosed() throws Exception {
        try (ServerFixture f = fixture(4, Duration.ofSeconds(1), Duration.ofSeconds(1));
             Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            long start = System.nanoTime();
            InputStream in = s.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(System.nanoTime() - start).isLessThan(Duration.ofSeconds(8).toNanos());
            assertThat(f.get("/health").status()).isEqualTo(200);
        }
    }

    @Test
    void aLongCommandOutlivesTheIdleTimeout() {
        try (ServerFixture f = fixture(4, Duration.ofSeconds(1), Duration.ofSeconds(1))) {
            ServerFixture.Reply r = f.post("/run", "{\"command\": [\"sleep\", \"3\"], \"fast\": false}");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().at("/data/exit_code").asInt()).isZero();
        }
    }

    @Test
    void tooManyConcurrentRunsAre429WithRetryAfter() throws Exception {
        try (ServerFixture f = fixture(1, Duration.ofSeconds(30), Duration.ofSeconds(1))) {
            CompletableFuture<ServerFixture.Reply> first = CompletableFuture.supplyAsync(
                    () -> f.post("/run", "{\"command\": [\"sleep\", \"2\"], \"fast\": false}"));
            awaitRunning();
            ServerFixture.Reply second = f.post("/run", "{\"command\": [\"echo\", \"x\"], \"fast\": false}");
            assertThat(second.status()).isEqualTo(429);
            assertThat(second.header("Retry-After")).isNotBlank();
            assertThat(second.json().get("code").asText()).isEqualTo("busy");
            assertThat(first.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void gracefulCloseLetsARunningCommandFinish() throws Exception {
        ServerFixture f = fixture(4, Duration.ofSeconds(30), Duration.ofSeconds(5));
        int port = f.server.port();
        try {
            CompletableFuture<ServerFixture.Reply> running = CompletableFuture.supplyAsync(
                    () -> f.post("/run", "{\"command\": [\"sleep\", \"1\"], \"fast\": false}"));
            awaitRunning();
            f.server.close();
            ServerFixture.Reply r = running.get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().at("/data/exit_code").asInt()).isZero();
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(java.io.IOException.class);
        } finally {
            f.close();
        }
    }

    @Test
    void aClientThatGivesUpOnRunGetsItsCommandKilled() throws Exception {
        try (ServerFixture f = fixture(4, Duration.ofSeconds(30), Duration.ofSeconds(1))) {
            java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(f.uri("/run"))
                    .timeout(Duration.ofMillis(1500)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"command\": [\"sleep\", \"60\"], \"fast\": false}")).build();
            assertThatThrownBy(() -> f.client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.net.http.HttpTimeoutException.class);
            ServerFixture.assertNothingRunning(fake);
        }
    }
}
