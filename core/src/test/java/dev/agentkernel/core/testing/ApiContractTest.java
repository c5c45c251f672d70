package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSession;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.config.AgentKernelConfig;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract of {@link Sandboxes}: every operation, with the same assertions, whoever implements it. The embedded
 * kernel runs it in core ({@code EmbeddedApiContractTest}); the HTTP client against a real server runs it in the
 * client SDK, so a remote call must give what the same call gives in process: results, errors and their codes,
 * the configured defaults, truncation, cancellation, and {@code TIMEOUT} (HTTP 504 on the wire).
 *
 * <p>A subclass says how the implementation under test is made over a kernel built with {@link #config} and
 * {@link #backend}. The backend is the in-memory {@link FakeBackend} (its commands are busybox's: {@code echo},
 * {@code sleep}, {@code sh -c}, {@code yes}, {@code cat}...), plus one fault: the program {@value #FAULT_TIMEOUT}
 * fails as an engine that does not finish in time. A subclass over a real engine returns its backend, its
 * {@link #flood()} and {@link #printEnv}, and {@code false} from {@link #injectsFaults()}.
 */
public abstract class ApiContractTest {
    /** The program the fake turns into an operation timeout (not a command timeout: that is a result). */
    protected static final String FAULT_TIMEOUT = "engine-timeout";
    protected static final int OUTPUT_CAP = 1024;
    protected static final int FILE_CAP = 4096;

    @TempDir
    protected Path dir;

    protected Sandboxes sandboxes;
    private final List<String> named = new ArrayList<>();

    /** The implementation under test, over a kernel built from {@code config} and {@code backend}. */
    protected abstract Sandboxes open(AgentKernelConfig config, Backend backend);

    /** Releases what {@link #open} made besides the returned sandboxes (e.g. a server); after they are closed. */
    protected void closeFixture() {
    }

    /** The engine: the fake, with the images busybox commands are detected to need, and the fault. */
    protected Backend backend() {
        return new FakeBackend().localImages(new java.util.HashSet<>(List.of(defaultImage(), "busybox:1.36",
                "agentkernel/busybox:local"))).handler(command -> {
            if (command.argv().get(0).equals(FAULT_TIMEOUT)) {
                throw new AgentKernelException.OperationTimeoutException("The engine did not finish the exec in time");
            }
            return FakeBackend.DEFAULT_HANDLER.run(command);
        });
    }

    /** Whether {@link #backend} fails {@value #FAULT_TIMEOUT} with an operation timeout. */
    protected boolean injectsFaults() {
        return true;
    }

    /** A command that writes far more than {@value #OUTPUT_CAP} bytes to stdout, then ends. */
    protected List<String> flood() {
        return List.of("yes");
    }

    /** A command that prints the value of an environment variable and a newline. */
    protected List<String> printEnv(String variable) {
        return List.of("printenv", variable);
    }

    /** The image named sandboxes get by default. */
    protected String defaultImage() {
        return AgentKernelConfig.defaults().sandbox().image();
    }

    /**
     * What every implementation is configured with: restrictive by default, 2 vCPUs and 256 MB by default, output
     * capped at {@value #OUTPUT_CAP} bytes, files at {@value #FILE_CAP}, no warm pool.
     */
    protected AgentKernelConfig config() {
        AgentKernelConfig d = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"));
        return d.withSandbox(new AgentKernelConfig.Sandbox(defaultImage(), SecurityProfile.RESTRICTIVE,
                        d.sandbox().backend()))
                .withResources(new AgentKernelConfig.Resources(2, 256))
                .withLimits(new AgentKernelConfig.Limits(Duration.ofSeconds(60), OUTPUT_CAP, FILE_CAP,
                        d.limits().maxConcurrentRuns(), d.limits().maxExecsPerSandbox()));
    }

    @BeforeEach
    void openSandboxes() {
        sandboxes = open(config(), backend());
    }

    @AfterEach
    void closeSandboxes() {
        if (sandboxes == null) {
            return;
        }
        try {
            for (String name : named) {
                try {
                    sandboxes.remove(name);
                } catch (AgentKernelException.NotFoundException gone) {
                    // removed by the test itself
                }
            }
            sandboxes.close();
        } finally {
            closeFixture();
        }
    }

    /** A fresh name, removed after the test. */
    protected String name(String hint) {
        String n = "ct-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
        named.add(n);
        return n;
    }

    // ---- temporary sandboxes

    @Test
    void runGivesTheResultTheSandboxAndTheImage() {
        RunResult ok = sandboxes.run("echo", "hello", "world");
        assertThat(ok.exec().exitCode()).isZero();
        assertThat(ok.exec().stdout()).isEqualTo("hello world\n");
        assertThat(ok.exec().stderr()).isEmpty();
        assertThat(ok.exec().output()).isEqualTo("hello world\n");
        assertThat(ok.exec().timedOut()).isFalse();
        assertThat(ok.exec().truncated()).isFalse();
        assertThat(ok.sandbox()).startsWith("run-");
        assertThat(ok.image()).isNotBlank();
        assertThat(ok.pooled()).isFalse();

        RunResult failed = sandboxes.run(RunRequest.of("sh", "-c", "exit 3").withImage(defaultImage()));
        assertThat(failed.exec().exitCode()).as("a non-zero exit is a result").isEqualTo(3);
        assertThat(failed.image()).isEqualTo(defaultImage());
        RunResult stderr = sandboxes.run("sh", "-c", "echo oops >&2");
        assertThat(stderr.exec().stderr()).isEqualTo("oops\n");
        // The engine may be shared with other instances: only this test's temporary sandboxes are looked for.
        List<String> made = List.of(ok.sandbox(), failed.sandbox(), stderr.sandbox());
        assertThat(made).doesNotHaveDuplicates();
        awaitTrue("temporary sandboxes removed", () -> sandboxes.list().stream()
                .noneMatch(s -> made.contains(s.name())));
    }

    @Test
    void runGetsTheConfiguredProfileAndLimits() {
        RunResult r = sandboxes.run("true");
        AuditEvent created = sandboxes.logs(r.sandbox(), LogQuery.ALL).get(0);
        assertThat(created.event()).isEqualTo("sandbox_created");
        assertThat(created.details()).containsEntry("profile", "restrictive");
        assertThat(((Number) created.details().get("vcpus")).intValue()).isEqualTo(2);
        assertThat(((Number) created.details().get("memory_mb")).intValue()).isEqualTo(256);
    }

    @Test
    void runStreamingReportsEveryEventAndReturnsTheSameResult() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        StringBuilder output = new StringBuilder();
        RunResult r = sandboxes.runStreaming(RunRequest.of("echo", "streamed"), new RunListener() {
            @Override
            public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
                events.add("started " + sandbox + " " + image + " " + pooled);
            }

            @Override
            public void onProgress(Stage stage) {
                events.add(stage.wireName());
            }

            @Override
            public void onOutput(OutputChunk chunk) {
                output.append(chunk.text());
            }

            @Override
            public void onDone(ExecResult result) {
                events.add("done " + result.exitCode());
            }
        }, Cancellation.create());
        assertThat(r.exec().stdout()).isEqualTo("streamed\n");
        assertThat(output).hasToString("streamed\n");
        assertThat(events).containsExactly("started " + r.sandbox() + " " + r.image() + " false", "creating",
                "starting", "executing", "done 0");
    }

    @Test
    void outputOverTheCapIsCutAndMarked() {
        RunResult run = sandboxes.run(RunRequest.of(flood()));
        assertThat(run.exec().truncated()).isTrue();
        assertThat(run.exec().stdout().length()).isLessThanOrEqualTo(OUTPUT_CAP);
        RunResult streamed = sandboxes.runStreaming(RunRequest.of(flood()), RunListener.NONE, Cancellation.create());
        assertThat(streamed.exec().truncated()).as("a stream's result is marked too").isTrue();
        assertThat(streamed.exec().stdout().length()).isLessThanOrEqualTo(OUTPUT_CAP);

        try (SandboxSession box = sandboxes.session(SandboxSpec.named(name("cap")))) {
            assertThat(box.exec(ExecRequest.of(flood())).truncated()).isTrue();
            ExecResult s = box.execStreaming(ExecRequest.of(flood()), RunListener.NONE, Cancellation.create());
            assertThat(s.truncated()).isTrue();
            assertThat(s.stdout().length()).isLessThanOrEqualTo(OUTPUT_CAP);
        }
    }

    @Test
    void cancellingARunKillsItsCommandAndRemovesItsSandbox() throws Exception {
        Cancellation cancellation = Cancellation.create();
        CountDownLatch started = new CountDownLatch(1);
        List<String> sandbox = new ArrayList<>();
        long start = System.nanoTime();
        CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> sandboxes.runStreaming(
                RunRequest.of("sleep", "60"), new RunListener() {
                    @Override
                    public void onStarted(String name, String image, String imageNote, boolean pooled) {
                        sandbox.add(name);
                        started.countDown();
                    }
                }, cancellation));
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        cancellation.cancel();
        RunResult r = run.get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThat(r.exec().timedOut()).isTrue();
        assertThat(r.exec().exitCode()).isEqualTo(ExecResult.KILLED_EXIT_CODE);
        assertThat(r.sandbox()).isEqualTo(sandbox.get(0));
        awaitTrue("the cancelled run's sandbox removed", () -> sandboxes.list().stream()
                .noneMatch(s -> s.name().equals(sandbox.get(0))));
    }

    @Test
    void batchGivesOneOutcomePerRequestInOrderWithTheErrorsCode() {
        RunRequest bad = RunRequest.of("echo", "never").withImage("agentkernel/no-such-image:none");
        AgentKernelException alone = catchThrowableOfType(AgentKernelException.class, () -> sandboxes.run(bad));
        assertThat(alone).isNotNull();

        List<BatchOutcome> outcomes = sandboxes.batch(List.of(RunRequest.of("echo", "first"), bad,
                RunRequest.of("sh", "-c", "exit 7")));
        assertThat(outcomes).hasSize(3);
        assertThat(outcomes.get(0).result().exec().stdout()).isEqualTo("first\n");
        assertThat(outcomes.get(0).result().sandbox()).startsWith("run-");
        assertThat(outcomes.get(1).result()).isNull();
        assertThat(outcomes.get(1).error().code()).as("the code the same request fails with alone, not INTERNAL")
                .isEqualTo(alone.code()).isNotEqualTo(ErrorCode.INTERNAL);
        assertThat(outcomes.get(1).error()).isInstanceOf(alone.getClass()).hasMessage(alone.getMessage());
        assertThat(outcomes.get(2).result().exec().exitCode()).isEqualTo(7);
    }

    // ---- named sandboxes

    @Test
    void createAppliesTheConfiguredDefaultsAndGetListAgree() {
        String n = name("defaults");
        SandboxInfo created = sandboxes.create(SandboxSpec.named(n));
        assertThat(created.name()).isEqualTo(n);
        assertThat(created.status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(created.kind()).isEqualTo(SandboxKind.NAMED);
        assertThat(created.profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(created.vcpus()).isEqualTo(2);
        assertThat(created.memoryMb()).isEqualTo(256);
        assertThat(created.image()).isEqualTo(defaultImage());
        assertThat(created.createdAt().toString()).as("created_at to the second, ISO-8601 UTC")
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(sandboxes.get(n)).isEqualTo(created);
        assertThat(sandboxes.list()).contains(created);

        String given = name("given");
        SandboxInfo explicit = sandboxes.create(SandboxSpec.named(given).withProfile(SecurityProfile.PERMISSIVE)
                .withLimits(1, 128));
        assertThat(explicit.profile()).isEqualTo(SecurityProfile.PERMISSIVE);
        assertThat(explicit.vcpus()).isEqualTo(1);
        assertThat(explicit.memoryMb()).isEqualTo(128);
    }

    @Test
    void failuresAreTheSameExceptionsWithTheSameCodes() {
        String n = name("dup");
        sandboxes.create(SandboxSpec.named(n));
        AgentKernelException conflict = catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.create(SandboxSpec.named(n)));
        assertThat(conflict).isInstanceOf(AgentKernelException.ConflictException.class);
        assertThat(conflict.code()).isEqualTo(ErrorCode.CONFLICT);

        AgentKernelException missing = catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.get("ct-no-such-sandbox"));
        assertThat(missing).isInstanceOf(AgentKernelException.NotFoundException.class)
                .hasMessage("Sandbox 'ct-no-such-sandbox' not found");
        for (Runnable op : List.<Runnable>of(() -> sandboxes.remove("ct-no-such-sandbox"),
                () -> sandboxes.exec("ct-no-such-sandbox", "true"), () -> sandboxes.stop("ct-no-such-sandbox"),
                () -> sandboxes.readFile("ct-no-such-sandbox", "/etc/hostname"))) {
            assertThat(catchThrowableOfType(AgentKernelException.class, op::run).code()).isEqualTo(ErrorCode.NOT_FOUND);
        }

        AgentKernelException badName = catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.get("-bad name"));
        assertThat(badName).isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("Invalid sandbox name");
        AgentKernelException badPath = catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.readFile(n, "/tmp/../etc/passwd"));
        assertThat(badPath.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(badPath).hasMessageContaining("'..' is not allowed");
    }

    @Test
    void execStopStartAndRemove() {
        String n = name("life");
        sandboxes.create(SandboxSpec.named(n));
        ExecResult r = sandboxes.exec(n, ExecRequest.of(printEnv("GREETING")).withEnv(Map.of("GREETING", "hi")));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("hi\n");
        assertThat(sandboxes.exec(n, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(300))).timedOut())
                .isTrue();

        assertThat(sandboxes.stop(n).status()).isEqualTo(SandboxStatus.STOPPED);
        assertThat(sandboxes.get(n).status()).isEqualTo(SandboxStatus.STOPPED);
        AgentKernelException stopped = catchThrowableOfType(AgentKernelException.class, () -> sandboxes.exec(n, "true"));
        assertThat(stopped.code()).isEqualTo(ErrorCode.CONFLICT);
        assertThat(sandboxes.start(n).status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(sandboxes.exec(n, "echo", "again").stdout()).isEqualTo("again\n");

        sandboxes.remove(n);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.get(n)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void cancellingAnExecKillsItsCommand() throws Exception {
        String n = name("cancel");
        sandboxes.create(SandboxSpec.named(n));
        Cancellation cancellation = Cancellation.create();
        CountDownLatch executing = new CountDownLatch(1);
        long start = System.nanoTime();
        CompletableFuture<ExecResult> exec = CompletableFuture.supplyAsync(() -> sandboxes.execStreaming(n,
                ExecRequest.of("sleep", "60"), new RunListener() {
                    @Override
                    public void onProgress(Stage stage) {
                        executing.countDown();
                    }
                }, cancellation));
        assertThat(executing.await(30, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(200); // let the command start
        cancellation.cancel();
        ExecResult r = exec.get(30, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(ExecResult.KILLED_EXIT_CODE);
        assertThat(sandboxes.exec(n, "echo", "still usable").stdout()).isEqualTo("still usable\n");
    }

    @Test
    void anEngineThatDoesNotFinishInTimeIsATimeoutEverywhere() {
        assumeTrue(injectsFaults(), "the engine of this run cannot be made to time out");
        String n = name("slow-engine");
        sandboxes.create(SandboxSpec.named(n));
        for (Runnable op : List.<Runnable>of(() -> sandboxes.exec(n, FAULT_TIMEOUT),
                () -> sandboxes.execStreaming(n, ExecRequest.of(FAULT_TIMEOUT), RunListener.NONE, Cancellation.create()),
                () -> sandboxes.run(FAULT_TIMEOUT),
                () -> sandboxes.runStreaming(RunRequest.of(FAULT_TIMEOUT), RunListener.NONE, Cancellation.create()))) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class, op::run);
            assertThat(e).isInstanceOf(AgentKernelException.OperationTimeoutException.class)
                    .hasMessage("The engine did not finish the exec in time");
            assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        }
        List<BatchOutcome> batch = sandboxes.batch(List.of(RunRequest.of(FAULT_TIMEOUT)));
        assertThat(batch.get(0).error().code()).isEqualTo(ErrorCode.TIMEOUT);
    }

    // ---- files

    @Test
    void filesRoundTripTextAndBinaryWithNormalisedPaths() {
        String n = name("files");
        sandboxes.create(SandboxSpec.named(n));
        FileContent written = sandboxes.writeFile(n, "//tmp/./dir/hello.txt", "h\u00e9llo".getBytes(StandardCharsets.UTF_8));
        assertThat(written.path()).isEqualTo("/tmp/dir/hello.txt");
        assertThat(written.size()).isEqualTo(6);
        FileContent read = sandboxes.readFile(n, "/tmp/dir/hello.txt");
        assertThat(read.path()).isEqualTo("/tmp/dir/hello.txt");
        assertThat(read.utf8()).contains("h\u00e9llo");
        assertThat(sandboxes.exec(n, "cat", "/tmp/dir/hello.txt").stdout()).isEqualTo("h\u00e9llo");

        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        sandboxes.writeFile(n, "/tmp/data.bin", binary);
        assertThat(sandboxes.readFile(n, "/tmp/data.bin").content()).isEqualTo(binary);
        assertThat(sandboxes.readFile(n, "/tmp/data.bin").utf8()).isEmpty();

        assertThat(sandboxes.deleteFile(n, "/tmp//dir/hello.txt")).isEqualTo("/tmp/dir/hello.txt");
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.readFile(n, "/tmp/dir/hello.txt"))
                .code()).isEqualTo(ErrorCode.NOT_FOUND);
        AgentKernelException tooBig = catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.writeFile(n, "/tmp/big", new byte[FILE_CAP + 1]));
        assertThat(tooBig).isInstanceOf(AgentKernelException.TooLargeException.class);
        assertThat(tooBig.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    }

    // ---- audit, pool, health, sessions

    @Test
    void logsListASandboxsEventsInOrderAndOutliveIt() {
        String n = name("logs");
        sandboxes.create(SandboxSpec.named(n));
        sandboxes.exec(n, "true");
        sandboxes.writeFile(n, "/tmp/x", new byte[]{1});
        List<AuditEvent> events = sandboxes.logs(n, LogQuery.ALL);
        assertThat(events).extracting(AuditEvent::event)
                .containsSubsequence("sandbox_created", "command_executed", "file_written");
        assertThat(events).allSatisfy(e -> assertThat(e.sandbox()).isEqualTo(n));
        assertThat(events).extracting(AuditEvent::timestamp).isSorted();
        assertThat(events).filteredOn(e -> e.event().equals("command_executed")).singleElement()
                .satisfies(e -> assertThat(e.details()).containsEntry("argv", List.of("true")));
        assertThat(sandboxes.logs(n, new LogQuery(null, 1))).extracting(AuditEvent::event).containsExactly("file_written");
        sandboxes.remove(n);
        assertThat(sandboxes.logs(n, LogQuery.ALL)).extracting(AuditEvent::event).last().isEqualTo("sandbox_removed");
    }

    @Test
    void poolFiguresAndHealth() {
        PoolStats pool = sandboxes.poolStats();
        assertThat(pool.enabled()).isFalse();
        assertThat(pool.size()).isZero();
        assertThat(pool.targetPerKey()).isZero();
        assertThat(pool.keys()).isEmpty();
        BackendHealth health = sandboxes.health();
        assertThat(health.available()).isTrue();
        assertThat(health.backend()).isNotBlank();
    }

    @Test
    void aSessionRemovesItsSandboxEvenWhenTheBlockThrows() {
        String n = name("session");
        try (SandboxSession box = sandboxes.session(SandboxSpec.named(n))) {
            assertThat(box.info().profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
            box.writeFile("/tmp/state", "half done");
            throw new IllegalStateException("boom");
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessage("boom");
        }
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.get(n)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
    }

    // ---- ports (issue 18): connections differ (in process a PortStream, remotely the proxy), the bookkeeping not

    @Test
    void portsAreExposedOnceListedClosedAndAudited() {
        String n = name("ports");
        sandboxes.create(SandboxSpec.named(n));
        ExposedPort first = sandboxes.exposePort(n, 8000);
        assertThat(first.port()).isEqualTo(8000);
        assertThat(sandboxes.exposePort(n, 8000)).as("idempotent: the first exposure again").isEqualTo(first);
        sandboxes.exposePort(n, 3000);
        assertThat(sandboxes.exposedPorts(n)).extracting(ExposedPort::port).containsExactly(3000, 8000);
        sandboxes.unexposePort(n, 8000);
        assertThat(sandboxes.exposedPorts(n)).extracting(ExposedPort::port).containsExactly(3000);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.unexposePort(n, 8000)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.exposePort(n, 0)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.exposePort(n + "-none", 80)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(sandboxes.logs(n, LogQuery.ALL)).extracting(AuditEvent::event)
                .containsSubsequence("port_exposed", "port_exposed", "port_unexposed");

        String m = name("ports-create");
        sandboxes.create(SandboxSpec.named(m), CreateOptions.NONE.withPorts(List.of(8000, 3000)));
        assertThat(sandboxes.exposedPorts(m)).extracting(ExposedPort::port).containsExactly(3000, 8000);
        sandboxes.remove(m);
        sandboxes.create(SandboxSpec.named(m));
        assertThat(sandboxes.exposedPorts(m)).as("a new sandbox of the same name starts with none").isEmpty();
    }

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands

    @Test
    void aUuidIdentifiesASandboxForItsWholeLife() {
        String n = name("uuid");
        SandboxInfo created = sandboxes.create(SandboxSpec.named(n));
        String uuid = sandboxes.get(n).uuid();
        assertThat(uuid).isNotNull().isEqualTo(created.uuid());
        assertThat(sandboxes.getByUuid(uuid).name()).isEqualTo(n);
        sandboxes.stop(n);
        sandboxes.start(n);
        assertThat(sandboxes.get(n).uuid()).as("kept across stop/start").isEqualTo(uuid);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.getByUuid("not-a-uuid")).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.getByUuid(UUID.randomUUID().toString())).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void aTtlAtCreationIsExtendedFromTheLaterOfItsExpiryAndNow() {
        String n = name("ttl");
        java.time.Instant before = java.time.Instant.now();
        SandboxInfo info = sandboxes.create(SandboxSpec.named(n).withTtl(Duration.ofHours(1)));
        java.time.Instant expires = sandboxes.get(n).expiresAt();
        assertThat(expires).isBetween(before.plus(Duration.ofMinutes(59)), before.plus(Duration.ofMinutes(61)));
        java.time.Instant extended = sandboxes.extend(n, Duration.ofMinutes(30));
        assertThat(Duration.between(expires, extended)).isEqualTo(Duration.ofMinutes(30));
        assertThat(sandboxes.get(n).expiresAt()).isEqualTo(extended);
        assertThat(info.name()).isEqualTo(n);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.extend(n, Duration.ZERO)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.extend(name("missing"), Duration.ofMinutes(1))).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void writeFilesChecksEveryPathBeforeWritingAny() {
        String n = name("bulk");
        sandboxes.create(SandboxSpec.named(n));
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("/tmp/bulk/a.txt", "alpha".getBytes(StandardCharsets.UTF_8));
        files.put("/tmp/bulk/deep/b.txt", "beta".getBytes(StandardCharsets.UTF_8));
        assertThat(sandboxes.writeFiles(n, files)).isEqualTo(2);
        assertThat(sandboxes.readFile(n, "/tmp/bulk/deep/b.txt").utf8()).contains("beta");
        Map<String, byte[]> bad = new java.util.LinkedHashMap<>();
        bad.put("/tmp/bulk/first.txt", new byte[]{'1'});
        bad.put("/tmp/../etc/x", new byte[]{'2'});
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.writeFiles(n, bad)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> sandboxes.readFile(n, "/tmp/bulk/first.txt")).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }

    /** Where the backend has them (the Docker agent), detached commands; on the fake the same clear UNSUPPORTED. */
    @Test
    void detachedCommandsKeepTheirStatusOutputAndExitCode() {
        String n = name("detached");
        sandboxes.create(SandboxSpec.named(n));
        if (injectsFaults()) { // the in-memory fake, which has no detached commands
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                    () -> sandboxes.execDetached(n, ExecRequest.of("sleep", "1")));
            assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
            assertThat(e.getMessage()).contains("detached_commands");
            return;
        }
        dev.agentkernel.api.DetachedCommand c = sandboxes.execDetached(n,
                ExecRequest.of("sh", "-c", "echo hi; echo oops >&2; exit 4"));
        assertThat(c.sandbox()).isEqualTo(n);
        awaitTrue("the detached command ends", () -> !sandboxes.detachedStatus(n, c.id()).running());
        dev.agentkernel.api.DetachedCommand done = sandboxes.detachedStatus(n, c.id());
        assertThat(done.status()).isEqualTo(dev.agentkernel.api.DetachedCommand.Status.FAILED);
        assertThat(done.exitCode()).isEqualTo(4);
        assertThat(sandboxes.detachedLogs(n, c.id(), dev.agentkernel.api.DetachedCommand.Stream.STDOUT)).isEqualTo("hi\n");
        assertThat(sandboxes.detachedLogs(n, c.id(), dev.agentkernel.api.DetachedCommand.Stream.STDERR)).isEqualTo("oops\n");
        dev.agentkernel.api.DetachedCommand sleeper = sandboxes.execDetached(n, ExecRequest.of("sleep", "300"));
        assertThat(sandboxes.detachedList(n)).extracting(dev.agentkernel.api.DetachedCommand::id)
                .containsExactly(c.id(), sleeper.id());
        dev.agentkernel.api.DetachedCommand killed = sandboxes.detachedKill(n, sleeper.id());
        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(killed.status()).isEqualTo(dev.agentkernel.api.DetachedCommand.Status.FAILED);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> sandboxes.detachedStatus(n, "ffffffff")).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
    }

    /** Polls a condition (a convergence wait, not a speed check) for up to 15 s. */
    protected static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("not within 15 s: %s", what).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
