package dev.agentkernel.server;

import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A burst is queued, not shed: 429 + Retry-After only past the admission queue's length or deadline. */
class BurstTest {
    @TempDir
    Path dir;
    private final FakeBackend fake = new FakeBackend();

    private ServerFixture server(int maxRuns, int maxQueued, Duration queueTimeout) {
        AgentKernelConfig d = ServerFixture.config(maxRuns);
        AgentKernelConfig.Limits l = d.limits();
        AgentKernelConfig c = d.withLimits(l.withQueue(maxQueued, queueTimeout));
        return new ServerFixture(fake, c, dir.resolve("audit.jsonl"), o -> o, b -> b);
    }

    @Test
    void aHundredConcurrentRunsAllSucceedWithFourSlots() throws Exception {
        try (ServerFixture f = server(4, 1000, Duration.ofMinutes(1))) {
            ExecutorService callers = Executors.newFixedThreadPool(100);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<ServerFixture.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                replies.add(callers.submit(() -> {
                    go.await();
                    return f.post("/run", "{\"command\": [\"sleep\", \"0.02\"], \"fast\": false}");
                }));
            }
            go.countDown();
            for (Future<ServerFixture.Reply> r : replies) {
                ServerFixture.Reply reply = r.get(2, TimeUnit.MINUTES);
                assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            }
            callers.shutdown();
            String metrics = f.get("/metrics").body();
            assertThat(metrics).containsPattern("agentkernel_admission_wait_seconds_count\\{operation=\"run\",outcome=\"admitted\"} 100(\\.0)?\n")
                    .doesNotContain("outcome=\"refused\"");
        }
    }

    @Test
    void aFullQueueIsRefusedAtOnceWithRetryAfterAndAudited() throws Exception {
        try (ServerFixture f = server(1, 0, Duration.ofMinutes(1))) {
            CompletableFuture<ServerFixture.Reply> first = CompletableFuture.supplyAsync(
                    () -> f.post("/run", "{\"command\": [\"sleep\", \"2\"], \"fast\": false}"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (fake.execsInFlight().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            ServerFixture.Reply second = f.post("/run", "{\"command\": [\"echo\", \"x\"], \"fast\": false}");
            assertThat(second.status()).isEqualTo(429);
            assertThat(second.header("Retry-After")).isNotBlank();
            assertThat(second.json().get("error").asText()).contains("0 queued");
            assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(dev.agentkernel.core.AuditFiles.lines(dir.resolve("audit.jsonl")))
                    .anyMatch(l -> l.contains("\"event\":\"request_refused\"") && l.contains("\"reason\":\"busy\""));
        }
    }
}
