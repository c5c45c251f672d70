package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.Validation;

import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentKernelTest {
    @TempDir
    Path dir;
    FakeBackend fake;
    AgentKernel kernel;

    @BeforeEach
    void setUp() {
        fake = new FakeBackend();
        kernel = build(AgentKernelConfig.forTests(dir.resolve("audit.jsonl")));
    }

    @AfterEach
    void tearDown() {
        kernel.close();
    }

    private AgentKernel build(AgentKernelConfig config) {
        return AgentKernel.builder().backend(fake).config(config).admissionWait(Duration.ofMillis(200)).build();
    }

    private List<String> events(String sandbox) {
        return kernel.logs(sandbox, LogQuery.ALL).stream().map(AuditEvent::event).toList();
    }

    @Test
    void namedSandboxLifecycle() {
        SandboxInfo created = kernel.create(SandboxSpec.named("box", null));
        assertThat(created.status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(created.image()).isEqualTo("agentkernel/busybox:local");
        assertThat(kernel.get("box").kind()).isEqualTo(SandboxKind.NAMED);
        assertThat(kernel.list()).extracting(SandboxInfo::name).containsExactly("box");

        assertThat(kernel.stop("box").status()).isEqualTo(SandboxStatus.STOPPED);
        assertThat(kernel.get("box").status()).isEqualTo(SandboxStatus.STOPPED);
        assertThat(kernel.start("box").status()).isEqualTo(SandboxStatus.RUNNING);
        kernel.remove("box");

        assertThatThrownBy(() -> kernel.get("box")).isInstanceOf(AgentKernelException.NotFoundException.class)
                .hasMessage("Sandbox 'box' not found");
        assertThatThrownBy(() -> kernel.remove("box")).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThat(events("box")).containsExactly("sandbox_created", "sandbox_stopped", "sandbox_started",
                "sandbox_removed");
        AuditEvent createdEvent = kernel.logs("box", LogQuery.ALL).get(0);
        assertThat(createdEvent.details()).containsEntry("profile", "moderate").containsEntry("vcpus", 1)
                .containsEntry("memory_mb", 512).containsEntry("kind", "named");
    }

    @Test
    void createTwiceIsConflict() {
        kernel.create(SandboxSpec.named("dup", null));
        assertThatThrownBy(() -> kernel.create(SandboxSpec.named("dup", null)))
                .isInstanceOf(AgentKernelException.ConflictException.class);
        assertThat(events("dup")).containsExactly("sandbox_created", "operation_failed");
    }

    @Test
    void createForcesNamedKind() {
        SandboxInfo info = kernel.create(SandboxSpec.named("k", "img:1").withKind(SandboxKind.POOL));
        assertThat(info.kind()).isEqualTo(SandboxKind.NAMED);
    }

    @Test
    void execReturnsOutputAndExitCodeAndIsAudited() {
        kernel.create(SandboxSpec.named("ex", null));
        ExecResult ok = kernel.exec("ex", ExecRequest.of("echo", "hi", "there"));
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.stdout()).isEqualTo("hi there\n");
        ExecResult failed = kernel.exec("ex", ExecRequest.of("sh", "-c", "exit 3"));
        assertThat(failed.exitCode()).isEqualTo(3);

        List<AuditEvent> log = kernel.logs("ex", LogQuery.ALL);
        assertThat(log).extracting(AuditEvent::event)
                .containsExactly("sandbox_created", "command_started", "command_executed", "command_started",
                        "command_executed");
        assertThat(log.get(1).details()).containsEntry("argv", List.of("echo", "hi", "there"));
        assertThat(log.get(2).details()).containsEntry("argv", List.of("echo", "hi", "there"))
                .containsEntry("exit_code", 0).containsKey("duration_ms");
        assertThat(log.get(4).details()).containsEntry("exit_code", 3);
    }

    @Test
    void execErrors() {
        assertThatThrownBy(() -> kernel.exec("nope", ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
        kernel.create(SandboxSpec.named("st", null));
        kernel.stop("st");
        assertThatThrownBy(() -> kernel.exec("st", ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.ConflictException.class);
        assertThatThrownBy(() -> kernel.exec("../x", ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
    }

    @Test
    void execStreamingReportsExecutingOutputAndDone() {
        kernel.create(SandboxSpec.named("s", null));
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        ExecResult r = kernel.execStreaming("s", ExecRequest.of("echo", "x"), new Recorder(seen), Cancellation.create());
        assertThat(r.stdout()).isEqualTo("x\n");
        assertThat(seen).containsExactly("progress:executing", "output:stdout:x\n", "done:0");
    }

    @Test
    void defaultTimeoutAndOutputCapComeFromConfig() {
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("a2.jsonl"));
        kernel.close();
        kernel = build(base.withLimits(new AgentKernelConfig.Limits(Duration.ofMillis(100), 1000, 1 << 20, 4)));
        kernel.create(SandboxSpec.named("lim", null));

        ExecResult slept = kernel.exec("lim", ExecRequest.of("sleep", "30"));
        assertThat(slept.timedOut()).isTrue();
        assertThat(slept.duration()).isLessThan(Duration.ofSeconds(5));

        ExecResult flood = kernel.exec("lim", ExecRequest.of("yes"));
        assertThat(flood.truncated()).isTrue();
        assertThat(flood.stdout()).hasSize(1000);

        ExecResult own = kernel.exec("lim", ExecRequest.of("sleep", "0.3").withTimeout(Duration.ofSeconds(5)));
        assertThat(own.timedOut()).isFalse();
        assertThat(own.exitCode()).isZero();
    }

    @Test
    void filesRoundTripAndAreAuditedWithoutContent() {
        kernel.create(SandboxSpec.named("f", null));
        FileContent written = kernel.writeFile("f", "tmp//hello.txt", "secret-content".getBytes(StandardCharsets.UTF_8));
        assertThat(written.path()).isEqualTo("/tmp/hello.txt");
        assertThat(written.size()).isEqualTo(14);
        assertThat(kernel.readFile("f", "/tmp/hello.txt").utf8()).contains("secret-content");
        assertThat(kernel.exec("f", ExecRequest.of("cat", "/tmp/hello.txt")).stdout()).isEqualTo("secret-content");
        assertThat(kernel.deleteFile("f", "/tmp/./hello.txt")).isEqualTo("/tmp/hello.txt");
        assertThatThrownBy(() -> kernel.readFile("f", "/tmp/hello.txt"))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> kernel.readFile("f", "/tmp/../etc/passwd"))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);

        List<AuditEvent> log = kernel.logs("f", LogQuery.ALL);
        assertThat(log).extracting(AuditEvent::event).containsExactly("sandbox_created", "file_written", "file_read",
                "command_started", "command_executed", "file_deleted", "operation_failed");
        assertThat(log.get(1).details()).containsEntry("path", "/tmp/hello.txt").containsEntry("size", 14);
        assertThat(log.toString()).doesNotContain("secret-content");
    }

    @Test
    void writeOverTheFileLimitIsTooLarge() {
        kernel.close();
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("a3.jsonl"));
        kernel = build(base.withLimits(new AgentKernelConfig.Limits(Duration.ofMinutes(1), 1000, 10, 4)));
        kernel.create(SandboxSpec.named("big", null));
        assertThatThrownBy(() -> kernel.writeFile("big", "/tmp/x", new byte[11]))
                .isInstanceOf(AgentKernelException.TooLargeException.class);
        assertThat(kernel.writeFile("big", "/tmp/x", new byte[10]).size()).isEqualTo(10);
    }

    @Test
    void runUsesATemporarySandboxThatIsGoneAfterwards() {
        RunResult r = kernel.run(RunRequest.of("echo", "2"));
        assertThat(r.exec().output()).isEqualTo("2\n");
        assertThat(r.pooled()).isFalse();
        assertThat(r.sandbox()).startsWith("run-");
        assertThat(fake.names()).isEmpty();
        assertThat(kernel.list()).isEmpty();
        List<AuditEvent> log = kernel.logs(r.sandbox(), LogQuery.ALL);
        assertThat(log).extracting(AuditEvent::event)
                .containsExactly("sandbox_created", "command_started", "command_executed", "sandbox_removed");
        assertThat(log.get(0).details()).containsEntry("kind", "run");
        assertThat(log.get(2).details()).containsEntry("argv", List.of("echo", "2")).containsEntry("pooled", false)
                .containsEntry("run", true);
    }

    @Test
    void aRunsFailureDoesNotNameItsInternalSandbox() {
        fake.handler(cmd -> {
            throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "The agent of sandbox '" + cmd.sandbox()
                    + "' did not answer for 5.0 s; the sandbox is marked broken");
        });
        assertThatThrownBy(() -> kernel.run(RunRequest.of("true"))).isInstanceOf(AgentKernelException.class)
                .hasMessage("The agent of the run's sandbox did not answer for 5.0 s; the sandbox is marked broken")
                .satisfies(e -> assertThat(((AgentKernelException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE));
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void runNonZeroExitIsAResult() {
        RunResult r = kernel.run(RunRequest.of("sh", "-c", "exit 7"));
        assertThat(r.exec().exitCode()).isEqualTo(7);
    }

    @Test
    void runStreamingEmitsStagesInOrder() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        RunResult r = kernel.runStreaming(RunRequest.of("echo", "hello"), new Recorder(seen), Cancellation.create());
        assertThat(seen).containsExactly("started:" + r.sandbox(), "progress:creating", "progress:starting",
                "progress:executing", "output:stdout:hello\n", "done:0");
    }

    @Test
    void cancellingAStreamingRunKillsItAndRemovesTheSandbox() throws Exception {
        Cancellation cancel = Cancellation.create();
        CompletableFuture<RunResult> f = CompletableFuture.supplyAsync(
                () -> kernel.runStreaming(RunRequest.of("sleep", "30"), null, cancel));
        waitUntil(() -> !fake.execsInFlight().isEmpty());
        cancel.cancel();
        RunResult r = f.get(5, TimeUnit.SECONDS);
        assertThat(r.exec().timedOut()).isTrue();
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void runningSandboxIsVisibleButItsInsideIsNot() throws Exception {
        CompletableFuture<RunResult> f = CompletableFuture.supplyAsync(() -> kernel.run(RunRequest.of("sleep", "0.5")));
        waitUntil(() -> !fake.execsInFlight().isEmpty());
        String name = fake.execsInFlight().iterator().next();
        assertThat(kernel.list()).extracting(SandboxInfo::name).containsExactly(name);
        assertThat(kernel.get(name).kind()).isEqualTo(SandboxKind.RUN);
        assertThatThrownBy(() -> kernel.exec(name, ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThat(f.get(5, TimeUnit.SECONDS).exec().exitCode()).isZero();
    }

    @Test
    void batchKeepsOrderAndIsolatesFailures() {
        fake.localImages(Set.of("agentkernel/busybox:local"));
        List<BatchOutcome> out = kernel.batch(List.of(RunRequest.of("echo", "a"),
                RunRequest.of("echo", "b").withImage("missing:1"), RunRequest.of("sh", "-c", "exit 2"),
                RunRequest.of("echo", "d")));
        assertThat(out).hasSize(4);
        assertThat(out.get(0).result().exec().stdout()).isEqualTo("a\n");
        assertThat(out.get(1).error()).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThat(out.get(2).result().exec().exitCode()).isEqualTo(2);
        assertThat(out.get(3).result().exec().stdout()).isEqualTo("d\n");
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void batchOverTheLimitIsRefusedBeforeAnythingRuns() {
        List<RunRequest> many = java.util.Collections.nCopies(Validation.MAX_BATCH + 1, RunRequest.of("true"));
        assertThatThrownBy(() -> kernel.batch(many)).isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("at most " + Validation.MAX_BATCH);
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void excessRunsWaitThenGetBusyAndTheRefusalIsAudited() throws Exception {
        kernel.close();
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("busy.jsonl"));
        kernel = build(base.withLimits(new AgentKernelConfig.Limits(Duration.ofMinutes(1), 1000, 1000, 1)));
        CompletableFuture<RunResult> first = CompletableFuture.supplyAsync(() -> kernel.run(RunRequest.of("sleep", "2")));
        waitUntil(() -> !fake.execsInFlight().isEmpty());
        assertThatThrownBy(() -> kernel.run(RunRequest.of("echo", "x")))
                .isInstanceOf(AgentKernelException.BusyException.class);
        assertThat(AuditFiles.lines(dir.resolve("busy.jsonl"))).anyMatch(l -> l.contains("\"request_refused\"")
                && l.contains("\"busy\""));
        assertThat(first.get(10, TimeUnit.SECONDS).exec().exitCode()).isZero();
        assertThat(kernel.run(RunRequest.of("echo", "after")).exec().stdout()).isEqualTo("after\n");
    }

    @Test
    void imageIsDetectedAndTheOfflineAlternativeIsVisible() {
        fake.localImages(Set.of("agentkernel/busybox:local", "agentkernel/python:local"));
        RunResult py = kernel.run(RunRequest.of("python3", "-c", "print(1)"));
        assertThat(py.image()).isEqualTo("agentkernel/python:local");
        assertThat(py.imageNote()).contains("python:3.12-alpine").contains("agentkernel/python:local");
        assertThat(kernel.logs(py.sandbox(), LogQuery.ALL).get(2).details()).containsKey("image_note");

        RunResult explicit = kernel.run(RunRequest.of("echo", "x").withImage("agentkernel/busybox:local"));
        assertThat(explicit.imageNote()).isNull();
        assertThat(explicit.image()).isEqualTo("agentkernel/busybox:local");

        RunResult namedOffline = kernel.run(RunRequest.of("python3", "-V").withImage("python:3.12-alpine"));
        assertThat(namedOffline.image()).isEqualTo("agentkernel/python:local");
        assertThat(namedOffline.imageNote()).contains("python:3.12-alpine");

        SandboxInfo created = kernel.create(SandboxSpec.named("py", "python:3.12-alpine"));
        assertThat(created.image()).isEqualTo("agentkernel/python:local");
        assertThat(kernel.logs("py", LogQuery.ALL).get(0).details()).containsEntry("image", "agentkernel/python:local")
                .containsKey("image_note");

        fake.localImages(null); // every image present: nothing is replaced
        kernel.close();
        kernel = build(AgentKernelConfig.forTests(dir.resolve("img2.jsonl")));
        assertThat(kernel.run(RunRequest.of("echo", "x").withImage("python:3.12-alpine")).image())
                .isEqualTo("python:3.12-alpine");
    }

    @Test
    void resolveImageUsesTheConfigOverridesAndProjectFiles() throws Exception {
        kernel.close();
        kernel = build(AgentKernelConfig.forTests(dir.resolve("ri.jsonl")).withImages(Map.of("ruby", "my/ruby:1")));
        assertThat(kernel.resolveImage(List.of("ruby", "x.rb"), null).image()).isEqualTo("my/ruby:1");
        java.nio.file.Files.writeString(dir.resolve("go.mod"), "module x");
        assertThat(kernel.resolveImage(List.of("sh", "-c", "go test"), dir).image()).isEqualTo("golang:1.23-alpine");
        assertThat(kernel.resolveImage(List.of("unknown-tool"), null).image()).isEqualTo("agentkernel/busybox:local");
    }

    @Test
    void logsAreByExactNameAndSurviveRemoval() {
        kernel.create(SandboxSpec.named("a", null));
        kernel.create(SandboxSpec.named("ab", null));
        kernel.remove("a");
        assertThat(events("a")).containsExactly("sandbox_created", "sandbox_removed");
        assertThat(events("ab")).containsExactly("sandbox_created");
        assertThat(kernel.logs("a", new LogQuery(null, 1))).extracting(AuditEvent::event)
                .containsExactly("sandbox_removed");
    }

    @Test
    void auditRefusalAndVerify() {
        kernel.auditRefusal("auth_failed", null, Map.of("caller", "127.0.0.1:5555", "reason", "missing API key"));
        kernel.create(SandboxSpec.named("v", null));
        AuditLog.Verification v = kernel.auditVerify();
        assertThat(v.ok()).isTrue();
        assertThat(v.lines()).isEqualTo(2);
        assertThat(AuditFiles.lines(dir.resolve("audit.jsonl")).get(0)).contains("\"auth_failed\"")
                .contains("missing API key");
    }

    @Test
    void unwritableAuditRefusesTheOperationAndKeepsNothingUnrecorded() {
        kernel.close();
        kernel = AgentKernel.builder().backend(fake).config(AgentKernelConfig.forTests(dir.resolve("x.jsonl")))
                .auditLog(new BrokenAuditLog()).build();
        assertThatThrownBy(() -> kernel.create(SandboxSpec.named("u", null)))
                .isInstanceOf(AgentKernelException.class)
                .hasMessageContaining("audit log is unwritable")
                .extracting(e -> ((AgentKernelException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(fake.names()).isEmpty();
        assertThatThrownBy(() -> kernel.run(RunRequest.of("echo", "x")))
                .hasMessageContaining("audit log is unwritable");
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void aCommandIsNeverRunWhenItsIntentCannotBeRecorded() {
        kernel.close();
        SwitchableAuditLog log = new SwitchableAuditLog(AuditLog.open(dir.resolve("sw.jsonl")));
        kernel = AgentKernel.builder().backend(fake).config(AgentKernelConfig.forTests(dir.resolve("sw.jsonl")))
                .auditLog(log).build();
        kernel.create(SandboxSpec.named("w", null));
        log.broken = true;
        assertThatThrownBy(() -> kernel.exec("w", ExecRequest.of("echo", "x")))
                .hasMessageContaining("audit log is unwritable");
        assertThatThrownBy(() -> kernel.writeFile("w", "/a", new byte[1]))
                .hasMessageContaining("audit log is unwritable");
        assertThat(fake.execCount()).isZero();
        log.broken = false;
        assertThat(kernel.exec("w", ExecRequest.of("echo", "x")).stdout()).isEqualTo("x\n");
    }

    @Test
    void reconcileRemovesDeadInstancesTemporariesAndKeepsNamedOnes() throws Exception {
        kernel.close();
        String dead = deadOwner();
        fake.plant("run-dead", SandboxKind.RUN, dead, SandboxStatus.RUNNING);
        fake.plant("pool-dead", SandboxKind.POOL, dead, SandboxStatus.RUNNING);
        fake.plant("named-dead", SandboxKind.NAMED, dead, SandboxStatus.STOPPED);
        fake.plant("run-alive", SandboxKind.RUN, InstanceId.current(), SandboxStatus.RUNNING);
        kernel = build(AgentKernelConfig.forTests(dir.resolve("rec.jsonl")));
        assertThat(fake.names()).as("building reconciles nothing").hasSize(4);
        kernel.start();
        assertThat(kernel.reconciledAtStart()).isEqualTo(2);
        assertThat(fake.names()).containsExactlyInAnyOrder("named-dead", "run-alive");
        assertThat(kernel.logs("run-dead", LogQuery.ALL).get(0).details()).containsEntry("reason", "reconcile")
                .containsEntry("owner", dead);
    }

    @Test
    void buildingDoesNoIoAndTheFirstOperationStartsTheKernel() throws Exception {
        kernel.close();
        fake = new FakeBackend();
        fake.plant("run-of-the-dead", SandboxKind.RUN, deadOwner(), SandboxStatus.RUNNING);
        Path audit = dir.resolve("lazy/audit.jsonl");
        AgentKernelConfig config = AgentKernelConfig.forTests(audit).withPool(new AgentKernelConfig.Pool(1, 2));
        kernel = build(config);
        assertThat(fake.engineCalls()).as("engine calls while building").isZero();
        assertThat(audit.getParent()).as("audit log opened while building").doesNotExist();
        assertThat(kernel.poolStats().size()).isZero();

        assertThat(kernel.list()).isEmpty(); // the first use reconciles (the dead run is gone) and warms the pool
        assertThat(kernel.reconciledAtStart()).isEqualTo(1);
        assertThat(audit).exists();
        waitUntil(() -> kernel.poolStats().size() == 1);
        int calls = fake.engineCalls();
        assertThat(kernel.start()).as("start is idempotent").isSameAs(kernel);
        assertThat(fake.engineCalls()).isEqualTo(calls);
    }

    @Test
    void closingAKernelThatNeverStartedTouchesNothing() {
        kernel.close();
        fake = new FakeBackend();
        kernel = build(AgentKernelConfig.forTests(dir.resolve("never/audit.jsonl")));
        kernel.close();
        assertThat(fake.engineCalls()).isZero();
        assertThat(fake.isClosed()).isTrue();
        assertThat(dir.resolve("never")).doesNotExist();
        assertThatThrownBy(kernel::start).hasMessageContaining("shutting down");
    }

    @Test
    void closeRemovesTemporariesAndClosesTheBackend() {
        kernel.create(SandboxSpec.named("keep", null));
        kernel.close();
        assertThat(fake.isClosed()).isTrue();
        assertThat(fake.names()).containsExactly("keep");
        assertThatThrownBy(() -> kernel.run(RunRequest.of("echo", "x")))
                .isInstanceOf(AgentKernelException.class).hasMessageContaining("shutting down");
    }

    @Test
    void closeCancelsCommandsInFlightAndRemovesTheirSandboxes() throws Exception {
        kernel.create(SandboxSpec.named("named-busy", null));
        CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> kernel.run(RunRequest.of("sleep", "60")));
        CompletableFuture<ExecResult> exec = CompletableFuture.supplyAsync(
                () -> kernel.exec("named-busy", ExecRequest.of("sleep", "60")));
        waitUntil(() -> fake.execsInFlight().size() == 2);
        long start = System.nanoTime();
        kernel.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(run.get(5, TimeUnit.SECONDS).exec().timedOut()).isTrue();
        assertThat(exec.get(5, TimeUnit.SECONDS).timedOut()).isTrue();
        assertThat(fake.names()).containsExactly("named-busy");
    }

    @Test
    void closeAnswersEveryBatchItemEvenThoseNotStarted() throws Exception {
        kernel.close();
        AgentKernelConfig base = AgentKernelConfig.forTests(dir.resolve("b.jsonl"));
        kernel = build(base.withLimits(new AgentKernelConfig.Limits(Duration.ofMinutes(1), 1000, 1000, 1)));
        List<RunRequest> sleeps = List.of(RunRequest.of("sleep", "60"), RunRequest.of("sleep", "60"),
                RunRequest.of("sleep", "60"));
        CompletableFuture<List<BatchOutcome>> batch = CompletableFuture.supplyAsync(() -> kernel.batch(sleeps));
        waitUntil(() -> !fake.execsInFlight().isEmpty());
        kernel.close();
        List<BatchOutcome> out = batch.get(10, TimeUnit.SECONDS);
        assertThat(out).hasSize(3);
        assertThat(out.get(0).result().exec().timedOut()).isTrue();
        assertThat(out.subList(1, 3)).allSatisfy(o -> assertThat(o.error()).hasMessageContaining("shutting down"));
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void healthAndConfig() {
        assertThat(kernel.health().available()).isTrue();
        fake.setAvailable(false);
        assertThat(kernel.health().available()).isFalse();
        assertThat(kernel.config().limits().maxConcurrentRuns()).isEqualTo(32);
        fake.setAvailable(true);
    }

    static String deadOwner() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor(10, TimeUnit.SECONDS);
        String host = InstanceId.current().split("/")[0];
        return host + "/" + p.pid() + "/deadbeef";
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in 10 s");
            }
            Thread.sleep(5);
        }
    }

    /** Records listener calls as strings. */
    static final class Recorder implements RunListener {
        private final List<String> seen;

        Recorder(List<String> seen) {
            this.seen = seen;
        }

        @Override
        public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
            seen.add("started:" + sandbox);
        }

        @Override
        public void onProgress(Stage stage) {
            seen.add("progress:" + stage.wireName());
        }

        @Override
        public void onOutput(OutputChunk chunk) {
            seen.add("output:" + chunk.stream().wireName() + ":" + chunk.text());
        }

        @Override
        public void onDone(ExecResult result) {
            seen.add("done:" + result.exitCode());
        }
    }

    /** A real log that can be made to fail, as a disk that fills up. */
    static final class SwitchableAuditLog implements AuditLog {
        private final AuditLog delegate;
        volatile boolean broken;

        SwitchableAuditLog(AuditLog delegate) {
            this.delegate = delegate;
        }

        @Override
        public void record(AuditEvent event) {
            if (broken) {
                throw AuditLog.unwritable(new java.io.IOException("No space left on device"));
            }
            delegate.record(event);
        }

        @Override
        public List<AuditEvent> query(String sandbox, LogQuery query) {
            return delegate.query(sandbox, query);
        }

        @Override
        public Verification verify() {
            return delegate.verify();
        }

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** An audit log on a full disk. */
    static final class BrokenAuditLog implements AuditLog {
        @Override
        public void record(AuditEvent event) {
            throw AuditLog.unwritable(new java.io.IOException("No space left on device"));
        }

        @Override
        public List<AuditEvent> query(String sandbox, LogQuery query) {
            return List.of();
        }

        @Override
        public Verification verify() {
            return new Verification(true, 0, 0, 0, null);
        }

        @Override
        public boolean enabled() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aRunWhoseOwnSandboxBreaksIsUnavailableWithoutItsInternalName() throws Exception {
        kernel.close();
        kernel = build(AgentKernelConfig.forTests(dir.resolve("audit.jsonl")).withPool(new AgentKernelConfig.Pool(1, 2)))
                .start();
        waitUntil(() -> kernel.poolStats().size() == 1);
        List<String> used = Collections.synchronizedList(new ArrayList<>());
        fake.handler(cmd -> {
            used.add(cmd.sandbox());
            throw new AgentKernelException.SandboxBrokenException(cmd.sandbox(), "its agent stopped answering");
        });
        for (boolean fast : new boolean[]{true, false}) {
            assertThatThrownBy(() -> kernel.run(RunRequest.of("true").withImage("agentkernel/busybox:local")
                    .withFast(fast)))
                    .isInstanceOfSatisfying(AgentKernelException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
                        assertThat(e.getMessage()).isEqualTo("The run's sandbox broke (its agent stopped answering); "
                                + "retry the run");
                    });
        }
        assertThat(used).hasSize(2);
        assertThat(used.get(0)).startsWith("pool-");
        assertThat(used.get(1)).startsWith("run-");
        waitUntil(() -> !fake.names().contains(used.get(0)) && !fake.names().contains(used.get(1)));
        assertThat(fake.names()).doesNotContain(used.get(0), used.get(1)); // disposed all the same
    }

    @Test
    void aRunWhoseSandboxStoppedUnderItNeverNamesIt() {
        fake.handler(cmd -> {
            throw new AgentKernelException.ConflictException("Sandbox '" + cmd.sandbox() + "' is not running");
        });
        assertThatThrownBy(() -> kernel.run(RunRequest.of("true").withFast(false)))
                .isInstanceOfSatisfying(AgentKernelException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
                    assertThat(e.getMessage()).isEqualTo("The run's sandbox is not running");
                });
    }

    @Test
    void aNamedSandboxThatBreaksIsNamedAsTheCallerKnowsIt() {
        kernel.create(SandboxSpec.named("mine", null));
        fake.handler(cmd -> {
            throw new AgentKernelException.SandboxBrokenException(cmd.sandbox(), "its agent stopped answering");
        });
        assertThatThrownBy(() -> kernel.exec("mine", ExecRequest.of("true")))
                .isInstanceOfSatisfying(AgentKernelException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.SANDBOX_BROKEN);
                    assertThat(e.getMessage()).startsWith("Sandbox 'mine' is broken");
                });
        kernel.remove("mine");
        assertThat(fake.names()).isEmpty();
    }
}
