package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.server.testing.BlockedLoopRecorder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that gives up on a command makes the server kill it. Here the kill itself blocks for 3 s (as a KILL frame
 * written to an agent that stopped reading would): the event loop must not be the thread that waits, so
 * {@code /health} keeps answering at once and Vert.x reports no blocked loop. Seen failing (health stalls, the
 * blocked-thread alarm fires) with the close handlers calling {@code cancellation.cancel()} directly.
 */
class DepartedClientTest {
    static final Duration KILL_DELAY = Duration.ofSeconds(3);
    @TempDir
    static Path dir;
    static FakeBackend fake;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        fake = new FakeBackend().killDelay(KILL_DELAY);
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"), o -> o, b -> b);
        f.post("/sandboxes", "{\"name\": \"named\"}");
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/run", "/run/stream", "/sandboxes/named/exec", "/sandboxes/named/exec/stream"})
    void aBlockingKillNeverRunsOnTheEventLoop(String path) throws Exception {
        String body = "{\"command\": [\"sleep\", \"60\"], \"fast\": false}";
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            long running = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (fake.execsInFlight().isEmpty() && System.nanoTime() < running) {
                Thread.sleep(10);
            }
            assertThat(fake.execsInFlight()).as("the command runs").isNotEmpty();
        } // the client leaves
        long until = System.nanoTime() + KILL_DELAY.toNanos();
        long slowest = 0;
        while (System.nanoTime() < until) {
            long t0 = System.nanoTime();
            assertThat(f.get("/health").status()).isEqualTo(200);
            slowest = Math.max(slowest, System.nanoTime() - t0);
            Thread.sleep(50);
        }
        assertThat(Duration.ofNanos(slowest)).as("slowest /health while the kill blocks").isLessThan(Duration.ofSeconds(1));
        ServerFixture.assertNothingRunning(fake);
        assertThat(BlockedLoopRecorder.drain()).as("blocked event loop warnings").isEmpty();
    }
}
