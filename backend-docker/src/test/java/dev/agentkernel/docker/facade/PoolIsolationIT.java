package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.agentkernel.docker.facade.FacadeSupport.BUSYBOX;
import static dev.agentkernel.docker.facade.FacadeSupport.ownedBy;
import static dev.agentkernel.docker.facade.FacadeSupport.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

/** A warm pool on the real engine: one container per run, never reused; figures printed, not asserted. */
class PoolIsolationIT {
    @TempDir
    Path dir;
    Backend counter;
    int before;

    @BeforeEach
    void countBefore() {
        counter = FacadeSupport.backend();
        before = ownedBy(counter, InstanceId.current()).size();
    }

    @AfterEach
    void countAfter() {
        try {
            assertThat(ownedBy(counter, InstanceId.current())).hasSize(before);
        } finally {
            counter.close();
        }
    }

    @Test
    void aWarmContainerServesOneRunAndIsNeverReused() throws Exception {
        try (AgentKernel kernel = FacadeSupport.kernel(FacadeSupport.config(dir.resolve("audit.jsonl"), 1, 4))) {
            waitUntil(() -> kernel.poolStats().size() == 1, Duration.ofMinutes(1));
            RunResult a = kernel.run(RunRequest.of("sh", "-c", "echo from-a > /tmp/left-by-a && hostname")
                    .withImage(BUSYBOX));
            assertThat(a.pooled()).isTrue();
            assertThat(a.exec().exitCode()).isZero();
            waitUntil(() -> kernel.poolStats().size() == 1, Duration.ofMinutes(1));
            RunResult b = kernel.run(RunRequest.of("sh", "-c", "cat /tmp/left-by-a; echo exit=$?; hostname")
                    .withImage(BUSYBOX));
            assertThat(b.pooled()).isTrue();
            assertThat(b.sandbox()).isNotEqualTo(a.sandbox());
            assertThat(b.exec().stdout()).doesNotContain("from-a").contains("exit=1");
            String containerA = a.exec().stdout().trim();
            String containerB = b.exec().stdout().lines().reduce((x, y) -> y).orElseThrow();
            assertThat(containerA).isNotBlank().isNotEqualTo(containerB);
            assertThat(kernel.list()).extracting(s -> s.name()).doesNotContain(a.sandbox(), b.sandbox());

            for (RunResult r : List.of(a, b)) {
                List<AuditEvent> log = kernel.logs(r.sandbox(), LogQuery.ALL);
                assertThat(log).extracting(AuditEvent::event)
                        .containsExactly("sandbox_created", "command_started", "command_executed", "sandbox_removed");
                assertThat(log.get(0).details()).containsEntry("kind", "pool").containsEntry("image", BUSYBOX);
                assertThat(log.get(2).details()).containsEntry("pooled", true).containsKey("duration_ms");
            }
            assertThat(kernel.auditVerify().ok()).isTrue();
        }
    }

    /** Prints latency figures of pooled and fresh runs (no timed assertions). */
    @Test
    void latencyFigures() throws Exception {
        int n = 15;
        long[] pooled = new long[n];
        long[] pooledExec = new long[n];
        long[] fresh = new long[n];
        PoolStats stats;
        try (AgentKernel kernel = FacadeSupport.kernel(FacadeSupport.config(dir.resolve("audit.jsonl"), 1, 4))) {
            for (int i = 0; i < n; i++) {
                waitUntil(() -> kernel.poolStats().size() == 1, Duration.ofMinutes(1));
                long t = System.nanoTime();
                RunResult r = kernel.run(RunRequest.of("echo", "hi").withImage(BUSYBOX));
                pooled[i] = System.nanoTime() - t;
                pooledExec[i] = r.exec().duration().toNanos();
                assertThat(r.pooled()).isTrue();
                assertThat(r.exec().stdout()).isEqualTo("hi\n");
            }
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                RunResult r = kernel.run(RunRequest.of("echo", "hi").withImage(BUSYBOX).withFast(false));
                fresh[i] = System.nanoTime() - t;
                assertThat(r.pooled()).isFalse();
            }
            stats = kernel.poolStats();
        }
        long[] background = new long[n];
        try (AgentKernel kernel = dev.agentkernel.core.AgentKernel.builder().backend(FacadeSupport.backend())
                .config(FacadeSupport.config(dir.resolve("audit2.jsonl"), 1, 4)).reconcileFilter(s -> false)
                .destroyInBackground(true).build().start()) {
            for (int i = 0; i < n; i++) {
                waitUntil(() -> kernel.poolStats().size() == 1, Duration.ofMinutes(1));
                long t = System.nanoTime();
                RunResult r = kernel.run(RunRequest.of("echo", "hi").withImage(BUSYBOX));
                background[i] = System.nanoTime() - t;
                assertThat(r.pooled()).isTrue();
            }
        }
        System.out.printf("FIGURES pooled run with destroyInBackground: p50 %.1f ms p99 %.1f ms%n",
                FacadeSupport.percentile(background, 0.5), FacadeSupport.percentile(background, 0.99));
        assertThat(stats.hits()).isEqualTo(n);
        System.out.printf("FIGURES facade run latency (busybox, echo, %d runs each, in-process, audit on): "
                        + "pooled p50 %.1f ms p99 %.1f ms (of which the exec itself p50 %.1f ms); "
                        + "fresh p50 %.1f ms p99 %.1f ms; "
                        + "pool claim p50 %.2f ms p99 %.2f ms; creations %d failures %d; load average %s%n",
                n, FacadeSupport.percentile(pooled, 0.5), FacadeSupport.percentile(pooled, 0.99),
                FacadeSupport.percentile(pooledExec, 0.5),
                FacadeSupport.percentile(fresh, 0.5), FacadeSupport.percentile(fresh, 0.99),
                stats.claimLatencyP50Ms(), stats.claimLatencyP99Ms(), stats.creations(), stats.failures(),
                loadAverage());
    }

    /** The engine's own create/exec/remove figures through the backend, to read the facade's figures against. */
    @Test
    void engineFigures() {
        int n = 8;
        long[] create = new long[n];
        long[] exec = new long[n];
        long[] remove = new long[n];
        for (int i = 0; i < n; i++) {
            String name = "facade-eng-" + FacadeSupport.suffix();
            long t = System.nanoTime();
            counter.create(dev.agentkernel.api.SandboxSpec.named(name, BUSYBOX)
                    .withKind(dev.agentkernel.api.SandboxKind.RUN)
                    .withDefaults(dev.agentkernel.api.SecurityProfile.DEFAULT, 1, 512)); // a backend gets resolved specs
            create[i] = System.nanoTime() - t;
            try {
                t = System.nanoTime();
                assertThat(counter.exec(name, dev.agentkernel.api.ExecRequest.of("echo", "hi")).stdout()).isEqualTo("hi\n");
                exec[i] = System.nanoTime() - t;
            } finally {
                t = System.nanoTime();
                counter.remove(name);
                remove[i] = System.nanoTime() - t;
            }
        }
        System.out.printf("FIGURES engine via DockerBackend (%d each): create+start p50 %.1f ms, exec p50 %.1f ms,"
                        + " remove p50 %.1f ms; load average %s%n", n, FacadeSupport.percentile(create, 0.5),
                FacadeSupport.percentile(exec, 0.5), FacadeSupport.percentile(remove, 0.5), loadAverage());
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
