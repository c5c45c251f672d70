package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.agentkernel.docker.facade.FacadeSupport.BUSYBOX;
import static dev.agentkernel.docker.facade.FacadeSupport.events;
import static dev.agentkernel.docker.facade.FacadeSupport.ownedBy;
import static org.assertj.core.api.Assertions.assertThat;

/** 50 runs at once: each in its own container, every container gone after close. */
class ConcurrentRunsIT {
    @TempDir
    Path dir;

    @Test
    void fiftyConcurrentRunsEachGetTheirOwnContainer() throws Exception {
        int runs = 50;
        try (Backend counter = FacadeSupport.backend()) {
            int before = ownedBy(counter, InstanceId.current()).size();
            List<RunResult> results = new ArrayList<>();
            long start = System.nanoTime();
            ExecutorService callers = Executors.newFixedThreadPool(runs);
            try (AgentKernel kernel = FacadeSupport.kernel(FacadeSupport.config(dir.resolve("audit.jsonl"), 4, 8))) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<RunResult>> futures = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    String marker = "run-" + i;
                    futures.add(callers.submit(() -> {
                        go.await();
                        // leaves a file behind: a reused container would show another run's marker
                        return kernel.run(RunRequest.of("sh", "-c",
                                "ls /tmp/marker-* 2>/dev/null; touch /tmp/marker-" + marker + "; hostname")
                                .withImage(BUSYBOX));
                    }));
                }
                go.countDown();
                for (Future<RunResult> f : futures) {
                    results.add(f.get(10, TimeUnit.MINUTES));
                }
                long elapsed = System.nanoTime() - start;
                assertThat(results).allSatisfy(r -> {
                    assertThat(r.exec().exitCode()).isZero();
                    assertThat(r.exec().stdout().lines().toList()).hasSize(1); // only the hostname: no marker seen
                });
                assertThat(results.stream().map(r -> r.exec().stdout().trim()).distinct()).hasSize(runs);
                assertThat(results.stream().map(RunResult::sandbox).distinct()).hasSize(runs);
                for (RunResult r : results) {
                    assertThat(events(kernel, r.sandbox())).containsExactly("sandbox_created", "command_started",
                            "command_executed", "sandbox_removed");
                }
                assertThat(kernel.auditVerify().ok()).isTrue();
                long pooled = results.stream().filter(RunResult::pooled).count();
                System.out.printf("FIGURES %d concurrent runs: %.0f ms wall, %d served by the pool, pool claim p50 %.2f ms"
                                + " p99 %.2f ms%n", runs, elapsed / 1e6, pooled, kernel.poolStats().claimLatencyP50Ms(),
                        kernel.poolStats().claimLatencyP99Ms());
            } finally {
                callers.shutdownNow();
            }
            assertThat(ownedBy(counter, InstanceId.current())).hasSize(before);
        }
    }
}
