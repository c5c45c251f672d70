package dev.agentkernel.core.pool;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm pool through the facade, on the fake backend. */
class PoolTest {
    private static final String IMAGE = "agentkernel/busybox:local";

    @TempDir
    Path dir;
    final FakeBackend fake = new FakeBackend();
    AgentKernel kernel;

    @AfterEach
    void tearDown() {
        if (kernel != null) {
            kernel.close();
        }
    }

    private AgentKernel build(int size, int max) {
        AgentKernelConfig c = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"))
                .withPool(new AgentKernelConfig.Pool(size, max));
        kernel = AgentKernel.builder().backend(fake).config(c).build().start();
        return kernel;
    }

    private List<SandboxInfo> warm() {
        return fake.list().stream().filter(s -> s.kind() == SandboxKind.POOL).toList();
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in 10 s");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void defaultKeyWarmsAtStartAndMembersAreHidden() throws Exception {
        build(2, 8);
        waitUntil(() -> kernel.poolStats().size() == 2);
        assertThat(warm()).allSatisfy(s -> {
            assertThat(s.image()).isEqualTo(IMAGE);
            assertThat(s.profile()).isEqualTo(SecurityProfile.MODERATE);
            assertThat(s.running()).isTrue();
            assertThat(s.name()).startsWith("pool-");
        });
        assertThat(kernel.list()).isEmpty();
        String member = warm().get(0).name();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> kernel.get(member)))
                .isInstanceOf(dev.agentkernel.api.AgentKernelException.NotFoundException.class);
    }

    @Test
    void aPooledSandboxServesExactlyOneRun() throws Exception {
        build(1, 4);
        waitUntil(() -> kernel.poolStats().size() == 1);
        RunResult a = kernel.run(RunRequest.of("touch", "/tmp/left-by-a").withImage(IMAGE));
        assertThat(a.pooled()).isTrue();
        waitUntil(() -> kernel.poolStats().size() == 1);
        RunResult b = kernel.run(RunRequest.of("cat", "/tmp/left-by-a").withImage(IMAGE));
        assertThat(b.pooled()).isTrue();
        assertThat(b.sandbox()).isNotEqualTo(a.sandbox());
        assertThat(b.exec().exitCode()).isEqualTo(1);
        assertThat(b.exec().stderr()).contains("No such file");
        assertThat(fake.names()).doesNotContain(a.sandbox(), b.sandbox());

        List<AuditEvent> log = kernel.logs(a.sandbox(), LogQuery.ALL);
        assertThat(log).extracting(AuditEvent::event)
                .containsExactly("sandbox_created", "command_started", "command_executed", "sandbox_removed");
        assertThat(log.get(0).details()).containsEntry("kind", "pool");
        assertThat(log.get(2).details()).containsEntry("pooled", true);
    }

    @Test
    void emptyPoolFallsBackToAFreshSandboxAndRefills() throws Exception {
        build(1, 4);
        RunResult r = kernel.run(RunRequest.of("echo", "x").withImage("other:1"));
        assertThat(r.pooled()).isFalse();
        assertThat(r.exec().stdout()).isEqualTo("x\n");
        waitUntil(() -> warm().stream().anyMatch(s -> s.image().equals("other:1")));
        PoolStats stats = kernel.poolStats();
        assertThat(stats.misses()).isEqualTo(1);
        assertThat(stats.keys()).extracting(PoolStats.KeyStats::image).contains(IMAGE, "other:1");
    }

    @Test
    void nonFastRunsDoNotTouchThePool() throws Exception {
        build(1, 4);
        waitUntil(() -> kernel.poolStats().size() == 1);
        RunResult r = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE).withFast(false));
        assertThat(r.pooled()).isFalse();
        assertThat(kernel.poolStats().hits()).isZero();
    }

    @Test
    void keysDifferByProfileAndLimits() throws Exception {
        build(1, 8);
        waitUntil(() -> kernel.poolStats().size() == 1);
        RunResult restrictive = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE)
                .withProfile(SecurityProfile.RESTRICTIVE));
        assertThat(restrictive.pooled()).isFalse();
        RunResult bigger = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE).withLimits(2, 1024));
        assertThat(bigger.pooled()).isFalse();
        waitUntil(() -> kernel.poolStats().size() == 3);
        assertThat(warm()).extracting(SandboxInfo::profile).contains(SecurityProfile.RESTRICTIVE);
        RunResult again = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE).withProfile(SecurityProfile.RESTRICTIVE));
        assertThat(again.pooled()).isTrue();
    }

    /**
     * A warm run asks the backend whether its member runs through {@link dev.agentkernel.core.Backend#running} (Docker
     * answers from the agent's open connection), not with an engine inspect on the answer path; a member the backend
     * says is not running is discarded all the same.
     */
    @Test
    void aClaimAsksTheBackendsCheapRunningCheckNotAnInspect() throws Exception {
        java.util.concurrent.atomic.AtomicInteger inspects = new java.util.concurrent.atomic.AtomicInteger();
        Set<String> down = java.util.concurrent.ConcurrentHashMap.newKeySet();
        dev.agentkernel.core.ForwardingBackend counting = new dev.agentkernel.core.ForwardingBackend(fake) {
            @Override
            public java.util.Optional<SandboxInfo> inspect(String name) {
                inspects.incrementAndGet();
                return super.inspect(name);
            }

            @Override
            public boolean running(String name) {
                return !down.contains(name);
            }
        };
        AgentKernelConfig c = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"))
                .withPool(new AgentKernelConfig.Pool(2, 4));
        kernel = AgentKernel.builder().backend(counting).config(c).build().start();
        waitUntil(() -> kernel.poolStats().size() == 2);
        inspects.set(0);
        RunResult r = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE));
        assertThat(r.pooled()).isTrue();
        assertThat(inspects.get()).isZero();

        waitUntil(() -> kernel.poolStats().size() == 2);
        warm().forEach(s -> down.add(s.name()));
        RunResult afterDown = kernel.run(RunRequest.of("echo", "y").withImage(IMAGE));
        assertThat(afterDown.exec().stdout()).isEqualTo("y\n");
        assertThat(down).doesNotContain(afterDown.sandbox());
        assertThat(kernel.poolStats().failures()).isEqualTo(2);
    }

    @Test
    void aBrokenMemberIsDiscardedAndReplaced() throws Exception {
        build(1, 4);
        waitUntil(() -> kernel.poolStats().size() == 1);
        String broken = warm().get(0).name();
        fake.breakSandbox(broken);
        RunResult r = kernel.run(RunRequest.of("echo", "x").withImage(IMAGE));
        assertThat(r.sandbox()).isNotEqualTo(broken);
        assertThat(r.exec().stdout()).isEqualTo("x\n");
        assertThat(fake.names()).doesNotContain(broken);
        assertThat(kernel.poolStats().failures()).isEqualTo(1);
        waitUntil(() -> warm().size() == 1 && warm().get(0).running());
    }

    @Test
    void overallCapIsHeld() throws Exception {
        build(3, 4);
        waitUntil(() -> kernel.poolStats().size() == 3);
        kernel.run(RunRequest.of("echo", "x").withImage("second:1"));
        waitUntil(() -> kernel.poolStats().size() == 4 && warm().size() == 4);
        Thread.sleep(200);
        assertThat(warm()).hasSize(4);
        assertThat(warm()).filteredOn(s -> s.image().equals("second:1")).hasSize(3);
    }

    @Test
    void atTheCapTheLeastRecentlyUsedKeyGivesWay() throws Exception {
        build(2, 2);
        waitUntil(() -> kernel.poolStats().size() == 2);
        List<String> firstKeyMembers = warm().stream().map(SandboxInfo::name).toList();
        RunResult r = kernel.run(RunRequest.of("echo", "x").withImage("second:1"));
        assertThat(r.pooled()).isFalse();
        waitUntil(() -> warm().size() == 2 && warm().stream().allMatch(s -> s.image().equals("second:1")));
        assertThat(fake.names()).doesNotContainAnyElementsOf(firstKeyMembers);
        assertThat(kernel.poolStats().keys()).filteredOn(k -> k.image().equals(IMAGE))
                .singleElement().satisfies(k -> assertThat(k.size()).isZero());
    }

    @Test
    void statsCountHitsMissesCreationsAndLatency() throws Exception {
        build(2, 8);
        waitUntil(() -> kernel.poolStats().size() == 2);
        for (int i = 0; i < 4; i++) {
            kernel.run(RunRequest.of("echo", "x").withImage(IMAGE));
            waitUntil(() -> kernel.poolStats().size() == 2);
        }
        PoolStats s = kernel.poolStats();
        assertThat(s.enabled()).isTrue();
        assertThat(s.hits()).isEqualTo(4);
        assertThat(s.misses()).isZero();
        assertThat(s.creations()).isEqualTo(6);
        assertThat(s.size()).isEqualTo(2);
        assertThat(s.claimLatencyP99Ms()).isGreaterThanOrEqualTo(s.claimLatencyP50Ms()).isGreaterThan(0);
    }

    @Test
    void manyConcurrentRunsEachGetTheirOwnSandbox() throws Exception {
        build(4, 8);
        waitUntil(() -> kernel.poolStats().size() == 4);
        List<Thread> threads = new ArrayList<>();
        List<RunResult> results = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 20; i++) {
            Thread t = new Thread(() -> results.add(kernel.run(RunRequest.of("hostname").withImage(IMAGE))));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(results).hasSize(20);
        assertThat(results.stream().map(RunResult::sandbox).distinct()).hasSize(20);
        assertThat(results).allSatisfy(r -> assertThat(r.exec().stdout()).isEqualTo(r.sandbox() + "\n"));
    }

    @Test
    void backgroundDestroyRemovesAfterTheAnswerAndCloseWaitsForIt() throws Exception {
        AgentKernelConfig c = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"))
                .withPool(new AgentKernelConfig.Pool(1, 4));
        kernel = AgentKernel.builder().backend(fake).config(c).destroyInBackground(true).build().start();
        waitUntil(() -> kernel.poolStats().size() == 1);
        RunResult a = kernel.run(RunRequest.of("echo", "a").withImage(IMAGE));
        assertThat(a.pooled()).isTrue();
        assertThat(a.exec().stdout()).isEqualTo("a\n");
        waitUntil(() -> !fake.names().contains(a.sandbox()));
        waitUntil(() -> kernel.logs(a.sandbox(), LogQuery.ALL).size() == 4);
        List<RunResult> more = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            more.add(kernel.run(RunRequest.of("echo", "b").withImage(IMAGE).withFast(false)));
        }
        kernel.close();
        kernel = null;
        assertThat(fake.names()).isEmpty();
        assertThat(more).extracting(RunResult::sandbox).doesNotHaveDuplicates();
    }

    @Test
    void closeDrainsThePool() throws Exception {
        build(2, 8);
        waitUntil(() -> kernel.poolStats().size() == 2);
        kernel.close();
        kernel = null;
        assertThat(fake.names()).isEmpty();
    }

    /** Members go as many at a time as the pool creates (4 here): each removal waits to see another one running. */
    @Test
    void closeRemovesMembersInParallel() throws Exception {
        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger sawAnother = new java.util.concurrent.atomic.AtomicInteger();
        dev.agentkernel.core.ForwardingBackend slow = new dev.agentkernel.core.ForwardingBackend(fake) {
            @Override
            public void remove(String name) {
                running.incrementAndGet();
                try {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                    while (System.nanoTime() < end) {
                        if (running.get() > 1) {
                            sawAnother.incrementAndGet();
                            break;
                        }
                        Thread.onSpinWait();
                    }
                    super.remove(name);
                } finally {
                    running.decrementAndGet();
                }
            }
        };
        AgentKernelConfig c = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"))
                .withPool(new AgentKernelConfig.Pool(8, 8, false, 4));
        kernel = AgentKernel.builder().backend(slow).config(c).build().start();
        waitUntil(() -> kernel.poolStats().size() == 8);
        kernel.close();
        kernel = null;
        assertThat(fake.names()).isEmpty();
        assertThat(sawAnother.get()).as("removals that ran beside another").isGreaterThanOrEqualTo(4);
    }

    @Test
    void disabledPoolMakesNoMembers() throws Exception {
        build(0, 8);
        RunResult r = kernel.run(RunRequest.of("echo", "x"));
        assertThat(r.pooled()).isFalse();
        Thread.sleep(100);
        assertThat(warm()).isEmpty();
        assertThat(kernel.poolStats().enabled()).isFalse();
        assertThat(Set.copyOf(fake.names())).isEmpty();
    }
}
