package dev.agentkernel.client;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSession;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The client against a real server (in-process, on a free loopback port) over a real Docker engine. Every
 * container made here carries this JVM's owner label; the count of those is checked at the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentKernelClientIT {
    private static final String BUSYBOX = "agentkernel/busybox:local";
    private static final String PYTHON = "agentkernel/python:local";
    private static final String KEY = "it-key-" + Long.toHexString(System.nanoTime());
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final String owner = InstanceId.current();
    private AgentKernel kernel;
    private AgentKernelServer server;
    private AgentKernelClient client;
    private int containersBefore;

    @BeforeAll
    void startServer(@TempDir Path tmp) {
        containersBefore = ownContainers().size();
        // Never pull: tests reach nothing beyond loopback and their own containers.
        AgentKernelConfig config = AgentKernelConfig.forTests(tmp.resolve("audit.jsonl"))
                .withBackendProperties(Map.of("docker.pull", "false"));
        kernel = KernelFactory.fromConfig(config, owner, BackendSettings.PULL_NONE, b -> b);
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, KEY).withHost("127.0.0.1").withPort(0));
        client = clientWithKey(KEY);
    }

    @AfterAll
    void stopServer() {
        try {
            if (server != null) {
                server.close();
            }
            if (kernel != null) {
                kernel.close();
            }
            assertThat(ownContainers()).as("containers left behind by this test run").hasSize(containersBefore);
        } finally {
            // Never leave anything behind, even when an assertion above failed; only our own containers.
            EngineView.removeAllOf(owner);
        }
    }

    private AgentKernelClient clientWithKey(String key) {
        return AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(key).build();
    }

    private static String uniqueName(String prefix) {
        return "sdk-it-" + prefix + "-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
    }

    // ---- snapshots, volumes, secrets (typed)

    @Test
    void snapshotsVolumesAndSecretsAreTyped() {
        String name = uniqueName("snap");
        String volume = uniqueName("vol");
        String snap = uniqueName("s");
        dev.agentkernel.api.VolumeInfo v = client.createVolume(volume);
        assertThat(v.name()).isEqualTo(volume);
        assertThat(v.backend()).isEqualTo("docker");
        assertThat(client.listVolumes()).extracting(dev.agentkernel.api.VolumeInfo::name).contains(volume);
        client.setSecret("SDK_IT_TOKEN", "tok-value");
        assertThat(client.listSecrets()).contains("SDK_IT_TOKEN");
        try {
            client.create(dev.agentkernel.api.SandboxSpec.named(name, BUSYBOX),
                    dev.agentkernel.api.CreateOptions.volumes(dev.agentkernel.api.VolumeMount.parse(volume + ":/data"))
                            .withSecretFiles(java.util.List.of("SDK_IT_TOKEN")));
            client.exec(name, "sh", "-c", "echo in-layer > /root/f.txt");
            assertThat(client.exec(name, "cat", "/run/agentkernel/secrets/SDK_IT_TOKEN").stdout()).isEqualTo("tok-value");
            dev.agentkernel.api.SnapshotInfo taken = client.takeSnapshot(name, snap);
            assertThat(taken.name()).isEqualTo(snap);
            assertThat(taken.sandbox()).isEqualTo(name);
            assertThat(taken.imageTag()).isEqualTo("agentkernel-snap:" + snap);
            assertThat(taken.baseImage()).isEqualTo(BUSYBOX);
            assertThat(client.getSnapshot(snap)).isEqualTo(taken);
            assertThat(client.listSnapshots()).contains(taken);
            dev.agentkernel.api.SandboxInfo restored = client.restoreSnapshot(snap, name + "-r");
            assertThat(restored.running()).isTrue();
            assertThat(client.exec(name + "-r", "cat", "/root/f.txt").stdout()).isEqualTo("in-layer\n");
            assertThatThrownBy(() -> client.deleteSnapshot(snap))
                    .isInstanceOf(AgentKernelException.ConflictException.class);
            assertThatThrownBy(() -> client.takeSnapshot(name, "-bad"))
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("snapshot name");
            assertThatThrownBy(() -> client.getSnapshot(uniqueName("none")))
                    .isInstanceOf(AgentKernelException.NotFoundException.class);
            client.remove(name + "-r");
            client.deleteSnapshot(snap);
            assertThatThrownBy(() -> client.getSnapshot(snap)).isInstanceOf(AgentKernelException.NotFoundException.class);
        } finally {
            for (String s : java.util.List.of(name, name + "-r")) {
                try {
                    client.remove(s);
                } catch (AgentKernelException.NotFoundException gone) {
                    // removed above
                }
            }
            client.removeSecret("SDK_IT_TOKEN");
            client.removeVolume(volume);
        }
        assertThat(client.listVolumes()).extracting(dev.agentkernel.api.VolumeInfo::name).doesNotContain(volume);
        assertThat(EngineView.imagesOf(owner)).isEmpty();
    }

    // ---- health, pool

    @Test
    void healthIsOkWithTheDockerBackend() {
        BackendHealth health = client.health();
        assertThat(health.available()).isTrue();
        assertThat(health.backend()).isEqualTo("docker");
    }

    @Test
    void poolReportsTheConfiguredFigures() {
        PoolStats pool = client.poolStats();
        assertThat(pool.max()).isEqualTo(AgentKernelConfig.forTests(Path.of("x")).pool().max());
        assertThat(pool.size()).isGreaterThanOrEqualTo(0);
        assertThat(pool.targetPerKey()).isZero();
    }

    // ---- run, batch

    @Test
    void runKeepsStreamsApartAndReportsTheExitCode() {
        RunResult run = client.run(RunRequest.of("sh", "-c", "echo out; echo err >&2; exit 3").withImage(BUSYBOX));
        assertThat(run.image()).isEqualTo(BUSYBOX);
        assertThat(run.sandbox()).startsWith("run-");
        ExecResult r = run.exec();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.output()).contains("out\n").contains("err\n");
        assertThat(r.timedOut()).isFalse();
        assertThat(r.duration()).isPositive();
    }

    @Test
    void runCarriesStdinEnvWorkdirAndUtf8() {
        ExecResult r = client.run(RunRequest.of("sh", "-c", "cat; echo \"$GREETING\"; pwd")
                .withImage(BUSYBOX).withStdin("h\u00e9llo \u2603\n".getBytes(StandardCharsets.UTF_8))
                .withEnv(Map.of("GREETING", "gr\u00fc\u00df")).withWorkdir("/tmp")).exec();
        assertThat(r.stdout()).isEqualTo("h\u00e9llo \u2603\ngr\u00fc\u00df\n/tmp\n");
    }

    @Test
    void runTimeoutKillsTheCommand() {
        ExecResult r = client.run(RunRequest.of("sleep", "60").withImage(BUSYBOX).withTimeout(Duration.ofSeconds(1)))
                .exec();
        assertThat(r.timedOut()).isTrue();
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void runWithDefaultArguments() {
        // The seed's own example: image detected from the command.
        assertThat(client.run("python3", "-c", "print(1+1)").exec().stdout()).isEqualTo("2\n");
    }

    @Test
    void batchReturnsResultsInInputOrderWithPerItemErrors() {
        List<BatchOutcome> results = client.batch(List.of(
                RunRequest.of("sh", "-c", "sleep 0.5; echo first").withImage(BUSYBOX),
                RunRequest.of("echo", "second").withImage(BUSYBOX),
                RunRequest.of("echo", "never").withImage("agentkernel/no-such-image:local"),
                RunRequest.of("sh", "-c", "exit 7").withImage(BUSYBOX)));
        assertThat(results).hasSize(4);
        assertThat(results.get(0).result().exec().stdout()).isEqualTo("first\n");
        assertThat(results.get(1).result().exec().stdout()).isEqualTo("second\n");
        assertThat(results.get(2).result()).isNull();
        assertThat(results.get(2).error()).hasMessageContaining("no-such-image");
        assertThat(results.get(2).error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(results.get(3).result().exec().exitCode()).isEqualTo(7);
    }

    // ---- streaming

    @Test
    void runStreamDeliversEventsInOrderEndingWithDone() {
        List<StreamEvent> events;
        try (EventStream stream = client.runStream(RunRequest.of("sh", "-c",
                "for i in 1 2 3; do echo line$i; sleep 0.1; done; echo oops >&2; exit 4").withImage(BUSYBOX).withFast(false))) {
            events = stream.stream().toList();
        }
        assertThat(events.get(0)).isInstanceOf(StreamEvent.Started.class);
        String sandbox = ((StreamEvent.Started) events.get(0)).sandbox();
        assertThat(sandbox).isNotBlank();
        assertThat(events).filteredOn(StreamEvent.Progress.class::isInstance)
                .extracting(e -> ((StreamEvent.Progress) e).stage())
                .containsExactly("creating", "starting", "executing");
        String stdout = events.stream().filter(StreamEvent.Output.class::isInstance).map(StreamEvent.Output.class::cast)
                .filter(o -> !o.isStderr()).map(StreamEvent.Output::content).collect(Collectors.joining());
        assertThat(stdout).isEqualTo("line1\nline2\nline3\n");
        assertThat(events).filteredOn(e -> e instanceof StreamEvent.Output o && o.isStderr())
                .extracting(e -> ((StreamEvent.Output) e).content()).containsExactly("oops\n");
        assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(StreamEvent.Done.class,
                d -> assertThat(d.exitCode()).isEqualTo(4));
        assertThat(events.subList(0, events.size() - 1)).noneMatch(StreamEvent::isTerminal);
        // The temporary sandbox is gone once the stream has ended.
        await("temporary sandbox " + sandbox + " removed",
                () -> client.list().stream().noneMatch(s -> s.name().equals(sandbox)));
    }

    @Test
    void streamedOutputArrivesWhileTheCommandStillRuns() {
        // The command prints, then waits for a file that the test writes only after it has seen that output:
        // if events were buffered until the end, the command would never finish and time out.
        String name = uniqueName("live");
        try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
            List<String> seen = new ArrayList<>();
            ExecResult end = box.execStreaming(ExecRequest.of("sh", "-c",
                            "echo waiting; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo released")
                    .withTimeout(Duration.ofSeconds(20)), new RunListener() {
                        @Override
                        public void onProgress(Stage stage) {
                            seen.add(stage.wireName());
                        }

                        @Override
                        public void onOutput(OutputChunk chunk) {
                            seen.add(chunk.text());
                            if (chunk.text().contains("waiting")) {
                                box.writeFile("/tmp/go", "1");
                            }
                        }
                    }, Cancellation.create());
            assertThat(end.timedOut()).isFalse();
            assertThat(end.exitCode()).isZero();
            assertThat(seen).containsSubsequence("executing", "waiting\n", "released\n");
        }
    }

    @Test
    void closingAnExecStreamKillsTheCommand() {
        String name = uniqueName("cancel");
        try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
            EventStream stream = client.execStream(name, ExecRequest.of("sh", "-c", "echo ready; exec sleep 600"));
            var it = stream.iterator();
            while (it.hasNext()) {
                if (it.next() instanceof StreamEvent.Output o && o.content().contains("ready")) {
                    break;
                }
            }
            assertThat(box.exec("ps").stdout()).contains("sleep 600");
            stream.close();
            assertThat(it.hasNext()).isFalse();
            assertThat(stream.terminalEvent()).isEmpty();
            await("the streamed command killed after the client closed the stream",
                    () -> !box.exec("ps").stdout().contains("sleep 600"));
        }
    }

    @Test
    void closingARunStreamRemovesTheTemporarySandbox() {
        String sandbox;
        try (EventStream stream = client.runStream(RunRequest.of("sh", "-c", "echo ready; exec sleep 600")
                .withImage(BUSYBOX).withFast(false))) {
            String started = null;
            for (StreamEvent e : stream) {
                if (e instanceof StreamEvent.Started s) {
                    started = s.sandbox();
                }
                if (e instanceof StreamEvent.Output) {
                    break;
                }
            }
            sandbox = started;
        }
        assertThat(sandbox).isNotNull();
        await("temporary sandbox " + sandbox + " removed after cancel",
                () -> client.list().stream().noneMatch(s -> s.name().equals(sandbox))
                        && EngineView.containersNamed(sandbox).isEmpty());
    }

    @Test
    void runStreamEndsWithErrorForAMissingImage() {
        List<StreamEvent> seen;
        try (EventStream stream = client.runStream(RunRequest.of("echo", "x")
                .withImage("agentkernel/no-such-image:local").withFast(false))) {
            seen = stream.stream().toList();
        }
        assertThat(seen).last().isInstanceOfSatisfying(StreamEvent.Error.class, e -> {
            assertThat(e.message()).contains("no-such-image");
            assertThat(e.code()).isEqualTo("invalid_request");
        });
        assertThat(seen).filteredOn(StreamEvent::isTerminal).hasSize(1);
        // Through the listener form the same error is the exception of its code, as in process.
        AgentKernelException e = catchClientException(() -> client.runStreaming(RunRequest.of("echo", "x")
                .withImage("agentkernel/no-such-image:local").withFast(false), RunListener.NONE, Cancellation.create()));
        assertThat(e).isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("no-such-image");
    }

    @Test
    void runStreamingReportsTheRunAndReturnsItsResult() {
        StringBuilder out = new StringBuilder();
        List<String> started = new ArrayList<>();
        RunResult r = client.runStreaming(RunRequest.of("sh", "-c", "echo a; echo b").withImage(BUSYBOX),
                new RunListener() {
                    @Override
                    public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
                        started.add(sandbox + " " + image);
                    }

                    @Override
                    public void onOutput(OutputChunk chunk) {
                        out.append(chunk.text());
                    }
                }, Cancellation.create());
        assertThat(r.exec().exitCode()).isZero();
        assertThat(r.exec().stdout()).isEqualTo("a\nb\n");
        assertThat(out).hasToString("a\nb\n");
        assertThat(started).containsExactly(r.sandbox() + " " + BUSYBOX);
        assertThat(r.image()).isEqualTo(BUSYBOX);
    }

    @Test
    void streamErrorsBeforeTheStartAreExceptions() {
        assertThatThrownBy(() -> client.execStream("sdk-it-missing", ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
    }

    // ---- named sandboxes

    @Test
    void namedSandboxLifecycle() {
        String name = uniqueName("life");
        SandboxInfo created = client.create(SandboxSpec.named(name, BUSYBOX).withLimits(1, 128)
                .withProfile(SecurityProfile.RESTRICTIVE).withEnv(Map.of("BOX_ENV", "from-create")));
        try {
            assertThat(created.name()).isEqualTo(name);
            assertThat(created.running()).isTrue();
            assertThat(created.profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
            SandboxInfo got = client.get(name);
            assertThat(got).isEqualTo(created);
            assertThat(got.image()).isEqualTo(BUSYBOX);
            assertThat(got.memoryMb()).isEqualTo(128);
            assertThat(got.vcpus()).isEqualTo(1);
            assertThat(got.profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
            assertThat(got.createdAt()).isBefore(Instant.now().plusSeconds(5));
            assertThat(client.list()).extracting(SandboxInfo::name).contains(name);

            assertThat(client.exec(name, "echo", "hi").stdout()).isEqualTo("hi\n");
            assertThat(client.exec(name, "sh", "-c", "echo $BOX_ENV").stdout()).isEqualTo("from-create\n");
            ExecResult slow = client.exec(name, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(500)));
            assertThat(slow.timedOut()).isTrue();

            assertThat(client.stop(name).status()).isEqualTo(SandboxStatus.STOPPED);
            assertThat(client.get(name).status()).isEqualTo(SandboxStatus.STOPPED);
            assertThatThrownBy(() -> client.exec(name, "true")).isInstanceOf(AgentKernelException.ConflictException.class);
            assertThat(client.start(name).running()).isTrue();
            assertThat(client.exec(name, "echo", "again").stdout()).isEqualTo("again\n");
        } finally {
            client.remove(name);
        }
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> client.remove(name)).isInstanceOf(AgentKernelException.NotFoundException.class);
    }

    @Test
    void filesTextAndBinaryRoundTrip() {
        String name = uniqueName("files");
        try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
            assertThat(box.writeFile("//tmp/./a dir/hello.txt", "hello w\u00f6rld").path()).isEqualTo("/tmp/a dir/hello.txt");
            assertThat(box.readFile("/tmp/a dir/hello.txt").utf8()).contains("hello w\u00f6rld");
            assertThat(box.exec("cat", "/tmp/a dir/hello.txt").stdout()).isEqualTo("hello w\u00f6rld");

            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            box.writeFile("/tmp/bin/data.bin", all);
            assertThat(box.readFile("/tmp/bin/data.bin").content()).isEqualTo(all);
            assertThat(box.readFile("/tmp/bin/data.bin").utf8()).isEmpty();
            assertThat(box.exec("wc", "-c", "/tmp/bin/data.bin").stdout()).contains("256");
            // Text files read as bytes come back as their UTF-8 bytes.
            assertThat(box.readFile("/tmp/a dir/hello.txt").content()).isEqualTo("hello w\u00f6rld".getBytes(StandardCharsets.UTF_8));

            assertThat(box.deleteFile("/tmp/a dir/hello.txt")).isEqualTo("/tmp/a dir/hello.txt");
            assertThatThrownBy(() -> box.readFile("/tmp/a dir/hello.txt"))
                    .isInstanceOf(AgentKernelException.NotFoundException.class);
        }
    }

    @Test
    void logsListTheSandboxEventsAndOutliveIt() {
        String name = uniqueName("logs");
        Instant start = Instant.now().minusSeconds(1);
        try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
            box.exec("true");
            box.writeFile("/tmp/x", "x");
            List<AuditEvent> logs = box.logs();
            assertThat(logs).extracting(AuditEvent::event)
                    .containsSubsequence("sandbox_created", "command_executed", "file_written");
            assertThat(logs).allSatisfy(e -> {
                assertThat(e.sandbox()).isEqualTo(name);
                assertThat(e.timestamp()).isAfterOrEqualTo(start);
            });
            assertThat(logs).extracting(AuditEvent::timestamp).isSorted();
            assertThat(client.logs(name, new LogQuery(null, 1))).hasSize(1).first().extracting(AuditEvent::event)
                    .isEqualTo("file_written");
            assertThat(client.logs(name, new LogQuery(Instant.now().plusSeconds(3600), 0))).isEmpty();
        }
        assertThat(client.logs(name, LogQuery.ALL)).extracting(AuditEvent::event).contains("sandbox_removed");
    }

    // ---- sessions

    @Test
    void sessionRemovesTheSandboxWhenTheBlockThrows() {
        String name = uniqueName("session");
        int before = ownContainers().size();
        assertThatThrownBy(() -> {
            try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
                box.writeFile("/tmp/state", "half done");
                assertThat(ownContainers()).hasSize(before + 1);
                throw new IllegalStateException("boom");
            }
        }).isInstanceOf(IllegalStateException.class).hasMessage("boom");
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThat(ownContainers()).hasSize(before);
    }

    @Test
    void sessionCloseIsIdempotentAndToleratesAnAlreadyRemovedSandbox() {
        String name = uniqueName("gone");
        SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX));
        assertThat(box.info().name()).isEqualTo(name);
        client.remove(name);
        box.close();
        box.close();
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(AgentKernelException.NotFoundException.class);
    }

    // ---- errors

    @Test
    void eachErrorIsTheExceptionOfItsCode() {
        AgentKernelException notFound = catchClientException(() -> client.get("sdk-it-no-such-sandbox"));
        assertThat(notFound).isInstanceOf(AgentKernelException.NotFoundException.class)
                .hasMessage("Sandbox 'sdk-it-no-such-sandbox' not found");
        assertThat(notFound.code()).isEqualTo(ErrorCode.NOT_FOUND);

        AgentKernelException invalid = catchClientException(() -> client.create(SandboxSpec.named("-bad name", BUSYBOX)));
        assertThat(invalid).isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThat(invalid.getMessage()).containsIgnoringCase("name");

        String name = uniqueName("dup");
        try (SandboxSession existing = client.session(SandboxSpec.named(name, BUSYBOX))) {
            AgentKernelException conflict = catchClientException(
                    () -> client.create(SandboxSpec.named(existing.name(), BUSYBOX)));
            assertThat(conflict).isInstanceOf(AgentKernelException.ConflictException.class);
            assertThat(conflict.code()).isEqualTo(ErrorCode.CONFLICT);
        }

        AgentKernelException wrongKey = catchClientException(() -> clientWithKey("wrong").list());
        assertThat(wrongKey.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
        assertThat(catchClientException(() -> clientWithKey(null).health()).code()).isEqualTo(ErrorCode.UNAUTHORIZED);
        // The key as a bearer token (what the upstream SDKs send) works as well.
        assertThat(AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(KEY).useBearer(true)
                .build().health().available()).isTrue();

        AgentKernelException down = catchClientException(() -> AgentKernelClient.builder()
                .baseUrl("http://127.0.0.1:1").connectTimeout(Duration.ofSeconds(2)).build().health());
        assertThat(down).isInstanceOf(AgentKernelException.BackendUnavailableException.class)
                .hasMessageContaining("cannot reach the agentkernel server");
    }

    @Test
    void overloadedServerAnswersBusyOrUnavailable() throws Exception {
        // A second server on the same kernel that accepts one blocking call at a time.
        try (AgentKernelServer tiny = AgentKernelServer.start(kernel,
                ServerOptions.from(kernel.config(), KEY).withHost("127.0.0.1").withPort(0).withWorkers(1, 1))) {
            AgentKernelClient tinyClient = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + tiny.port())
                    .apiKey(KEY).build();
            String name = uniqueName("busy");
            try (SandboxSession box = client.session(SandboxSpec.named(name, BUSYBOX))) {
                box.writeFile("/tmp/hold", "");
                CompletableFuture<ExecResult> holder = CompletableFuture.supplyAsync(() -> tinyClient.exec(name,
                        ExecRequest.of("sh", "-c", "while [ -f /tmp/hold ]; do sleep 0.05; done")
                                .withTimeout(Duration.ofSeconds(30))));
                try {
                    await("the first call occupies the server", () -> box.exec("ps").stdout().contains("while"));
                    AgentKernelException busy = catchClientException(tinyClient::list);
                    assertThat(busy.code()).isIn(ErrorCode.BUSY, ErrorCode.BACKEND_UNAVAILABLE);
                } finally {
                    box.deleteFile("/tmp/hold");
                    assertThat(holder.get(30, TimeUnit.SECONDS).exitCode()).isZero();
                }
            }
        }
    }

    @Test
    void agentLoopStyleGeneratedCodeWithTimeoutAndFileReadBack() {
        String name = uniqueName("agent");
        try (SandboxSession box = client.session(SandboxSpec.named(name, PYTHON))) {
            box.writeFile("/tmp/step.py", "while True:\n    pass\n");
            ExecResult runaway = box.exec(ExecRequest.of("python3", "/tmp/step.py").withTimeout(Duration.ofSeconds(1)));
            assertThat(runaway.timedOut()).isTrue();
            box.writeFile("/tmp/step.py", "import json\njson.dump({'n': sum(range(10))}, open('/tmp/answer.json', 'w'))\n");
            assertThat(box.exec("python3", "/tmp/step.py").exitCode()).isZero();
            assertThat(box.readFile("/tmp/answer.json").utf8()).contains("{\"n\": 45}");
        }
    }

    // ---- helpers

    private static AgentKernelException catchClientException(Runnable call) {
        try {
            call.run();
        } catch (AgentKernelException e) {
            return e;
        }
        return fail("expected an AgentKernelException");
    }

    /** Polls a condition (a convergence wait, not a speed check) for up to 15 s. */
    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 15 s: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    private List<String> ownContainers() {
        return EngineView.containersOf(owner);
    }
}
