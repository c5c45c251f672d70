package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.server.testing.BlockedLoopRecorder;
import dev.agentkernel.server.testing.FailOnBlockedEventLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alarm that makes a blocked event loop fail the tests: proved here with a task that sleeps on the server's own
 * event loop. This test takes the warnings itself; left to {@link FailOnBlockedEventLoop}, they fail the test (seen
 * once by removing the {@code drain()} below).
 */
class BlockedEventLoopAlarmTest {
    @TempDir
    Path dir;

    @Test
    void aSleepOnTheServersEventLoopIsReportedWithItsStack() throws Exception {
        assertThat(BlockedLoopRecorder.installed()).as("Vert.x logs through BlockedLoopRecorder (surefire config)").isTrue();
        assertThat(BlockedLoopRecorder.drain()).isEmpty();
        long sleepMs = FailOnBlockedEventLoop.WARNING.toMillis() * 3;
        try (ServerFixture f = new ServerFixture(new FakeBackend(), ServerFixture.config(2), dir.resolve("audit.jsonl"),
                o -> o, b -> b)) {
            CountDownLatch slept = new CountDownLatch(1);
            f.server.vertx().runOnContext(v -> {
                try {
                    Thread.sleep(sleepMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                slept.countDown();
            });
            assertThat(slept.await(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(FailOnBlockedEventLoop.WARNING.toMillis()); // the checker's next look
            List<String> warnings = BlockedLoopRecorder.drain();
            assertThat(warnings).isNotEmpty();
            assertThat(warnings).anyMatch(w -> w.contains("vert.x-eventloop-thread") && w.contains("Thread.sleep"));
            assertThat(f.get("/health").status()).isEqualTo(200);
        }
    }
}
