package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;

import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentkernel.core.AgentKernelTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code limits.max_execs_per_sandbox} and the periodic reconcile, on the fake backend. */
class ExecLimitAndReconcileTest {
    private static final int LIMIT = 2;

    @TempDir
    Path dir;
    FakeBackend fake;
    AgentKernel kernel;
    /** Commands {@code block} started so far, and the gate they wait on (replaced per hold). */
    final AtomicInteger blocked = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(1);

    @BeforeEach
    void setUp() {
        fake = new FakeBackend().handler(c -> switch (c.argv().get(0)) {
            case "block" -> {
                blocked.incrementAndGet();
                gate.await(30, TimeUnit.SECONDS);
                yield 0;
            }
            case "boom" -> throw new IllegalStateException("handler failure");
            default -> FakeBackend.DEFAULT_HANDLER.run(c);
        });
    }

    @AfterEach
    void tearDown() {
        gate.countDown();
        if (kernel != null) {
            kernel.close();
        }
    }

    private AgentKernel build(Duration reconcileInterval) {
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"));
        AgentKernelConfig.Limits l = base.limits();
        return AgentKernel.builder().backend(fake)
                .config(base.withLimits(new AgentKernelConfig.Limits(l.timeout(), l.maxOutputBytes(),
                        l.maxFileBytes(), 32, LIMIT)))
                .admissionWait(Duration.ofMillis(200)).reconcileInterval(reconcileInterval).build().start();
    }

    /** Fills every slot of {@code name} with blocked commands; returns them (still running). */
    private List<CompletableFuture<ExecResult>> fill(String name) throws InterruptedException {
        gate = new CountDownLatch(1);
        int before = blocked.get();
        List<CompletableFuture<ExecResult>> running = new ArrayList<>();
        for (int i = 0; i < LIMIT; i++) {
            running.add(CompletableFuture.supplyAsync(() -> kernel.exec(name, ExecRequest.of("block"))));
        }
        waitUntil(() -> blocked.get() == before + LIMIT);
        return running;
    }

    private void release(List<CompletableFuture<ExecResult>> running) throws Exception {
        gate.countDown();
        for (CompletableFuture<ExecResult> f : running) {
            assertThat(f.get(10, TimeUnit.SECONDS).exitCode()).isZero();
        }
    }

    @Test
    void onePlusTheLimitConcurrentExecsGiveExactlyOneBusyAndOtherSandboxesRunOn() throws Exception {
        kernel = build(Duration.ZERO);
        kernel.create(SandboxSpec.named("a", null));
        kernel.create(SandboxSpec.named("b", null));
        gate = new CountDownLatch(1);
        List<CompletableFuture<ExecResult>> all = new ArrayList<>();
        for (int i = 0; i < LIMIT + 1; i++) {
            all.add(CompletableFuture.supplyAsync(() -> kernel.exec("a", ExecRequest.of("block"))));
        }
        // exactly one is refused at once while the others run
        waitUntil(() -> all.stream().filter(CompletableFuture::isCompletedExceptionally).count() == 1
                && blocked.get() == LIMIT);
        assertThat(kernel.exec("b", ExecRequest.of("echo", "free")).stdout()).isEqualTo("free\n");
        gate.countDown();
        int ok = 0;
        int busy = 0;
        for (CompletableFuture<ExecResult> f : all) {
            try {
                assertThat(f.get(10, TimeUnit.SECONDS).exitCode()).isZero();
                ok++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(AgentKernelException.BusyException.class)
                        .hasMessageContaining("'a'").hasMessageContaining(String.valueOf(LIMIT));
                busy++;
            }
        }
        assertThat(ok).isEqualTo(LIMIT);
        assertThat(busy).isEqualTo(1);
        assertThat(kernel.logs("a", LogQuery.ALL)).anySatisfy(e -> {
            assertThat(e.event()).isEqualTo("request_refused");
            assertThat(e.details()).containsEntry("reason", "sandbox_busy").containsEntry("operation", "exec");
        });
        assertThat(kernel.logs("b", LogQuery.ALL)).noneMatch(e -> e.event().equals("request_refused"));
    }

    @Test
    void whileOneSandboxIsFullTheNextExecThereIsBusyAndStreamingCountsToo() throws Exception {
        kernel = build(Duration.ZERO);
        kernel.create(SandboxSpec.named("a", null));
        List<CompletableFuture<ExecResult>> running = fill("a");
        assertThatThrownBy(() -> kernel.execStreaming("a", ExecRequest.of("echo", "x"), null, null))
                .isInstanceOf(AgentKernelException.BusyException.class);
        release(running);
        assertThat(kernel.execStreaming("a", ExecRequest.of("echo", "x"), null, null).stdout()).isEqualTo("x\n");
    }

    @Test
    void slotsComeBackAfterCompletionFailureAndTimeout() throws Exception {
        kernel = build(Duration.ZERO);
        kernel.create(SandboxSpec.named("a", null));
        for (int i = 0; i < LIMIT + 1; i++) { // more than the limit: any leak would show
            assertThat(kernel.exec("a", ExecRequest.of("echo", "x")).exitCode()).isZero();
            assertThatThrownBy(() -> kernel.exec("a", ExecRequest.of("boom")))
                    .isNotInstanceOf(AgentKernelException.BusyException.class);
            ExecResult slow = kernel.exec("a", ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(20)));
            assertThat(slow.timedOut()).isTrue();
        }
        List<CompletableFuture<ExecResult>> running = fill("a"); // every slot is free again
        assertThatThrownBy(() -> kernel.exec("a", ExecRequest.of("echo", "x")))
                .isInstanceOf(AgentKernelException.BusyException.class);
        release(running);
    }

    @Test
    void periodicReconcileRemovesADeadInstancesRunSandboxCreatedAfterStartUp() throws Exception {
        kernel = build(Duration.ofMillis(50));
        assertThat(kernel.reconciledAtStart()).isZero();
        String dead = AgentKernelTest.deadOwner();
        fake.plant("run-late-dead", SandboxKind.RUN, dead, SandboxStatus.RUNNING);
        fake.plant("named-late-dead", SandboxKind.NAMED, dead, SandboxStatus.RUNNING);
        fake.plant("run-late-alive", SandboxKind.RUN, InstanceId.current(), SandboxStatus.RUNNING);
        // the audit event is written after the engine's removal: wait for both
        waitUntil(() -> !fake.names().contains("run-late-dead") && kernel.logs("run-late-dead", LogQuery.ALL).stream()
                .anyMatch(e -> e.event().equals("sandbox_removed")));
        assertThat(fake.names()).contains("named-late-dead", "run-late-alive");
        assertThat(kernel.logs("run-late-dead", LogQuery.ALL)).anySatisfy(e -> {
            assertThat(e.event()).isEqualTo("sandbox_removed");
            assertThat(e.details()).containsEntry("reason", "reconcile").containsEntry("owner", dead);
        });
    }

    @Test
    void periodicPassDropsWarmPoolMembersWhoseContainerIsGone() throws Exception {
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("pool.jsonl"));
        kernel = AgentKernel.builder().backend(fake).config(base.withPool(new AgentKernelConfig.Pool(1, 4)))
                .reconcileInterval(Duration.ofMillis(50)).build().start();
        waitUntil(() -> kernel.poolStats().size() == 1);
        String member = fake.names().iterator().next();
        fake.breakSandbox(member);
        // the broken member is removed and replaced by a fresh one, without any run claiming it
        waitUntil(() -> !fake.names().contains(member) && kernel.poolStats().size() == 1);
        assertThat(fake.names()).hasSize(1).doesNotContain(member);
    }
}
