package dev.agentkernel.client;

import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
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
        AgentKernelConfig config = AgentKernelConfig.forTests(tmp.resolve("audit.jsonl"));
        kernel = AgentKernel.builder()
                // Never pull: tests reach nothing beyond loopback and their own containers.
                .backend(Backends.open(new BackendSettings("docker", owner, Map.of("docker.pull", "false"))))
                .config(config)
                .build();
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

    // ---- health, pool

    @Test
    void healthIsOkWithTheDockerBackend() {
        Health health = client.health();
        assertThat(health.isOk()).isTrue();
        assertThat(health.backend()).isEqualTo("docker");
    }

    @Test
    void poolReportsTheConfiguredFigures() {
        PoolStats pool = client.pool();
        assertThat(pool.max()).isEqualTo(AgentKernelConfig.forTests(Path.of("x")).pool().max());
        assertThat(pool.size()).isGreaterThanOrEqualTo(0);
        assertThat(pool.targetPerKey()).isZero();
    }

    // ---- run, batch

    @Test
    void runKeepsStreamsApartAndReportsTheExitCode() {
        ExecResult r = client.run(RunRequest.of("sh", "-c", "echo out; echo err >&2; exit 3").withImage(BUSYBOX));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.output()).contains("out\n").contains("err\n");
        assertThat(r.timedOut()).isFalse();
        assertThat(r.succeeded()).isFalse();
        assertThat(r.duration()).isPositive();
    }

    @Test
    void runCarriesStdinEnvWorkdirAndUtf8() {
        ExecResult r = client.run(RunRequest.of("sh", "-c", "cat; echo \"$GREETING\"; pwd")
                .withImage(BUSYBOX).withStdin("h\u00e9llo \u2603\n").withEnv(Map.of("GREETING", "gr\u00fc\u00df"))
                .withWorkdir("/tmp"));
        assertThat(r.stdout()).isEqualTo("h\u00e9llo \u2603\ngr\u00fc\u00df\n/tmp\n");
    }

    @Test
    void runTimeoutKillsTheCommand() {
        ExecResult r = client.run(RunRequest.of("sleep", "60").withImage(BUSYBOX).withTimeout(Duration.ofSeconds(1)));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void runWithDefaultArguments() {
        // The seed's own example: image detected from the command.
        assertThat(client.run("python3", "-c", "print(1+1)").stdout()).isEqualTo("2\n");
    }

    @Test
    void batchReturnsResultsInInputOrderWithPerItemErrors() {
        List<BatchResult> results = client.batch(List.of(
                RunRequest.of("sh", "-c", "sleep 0.5; echo first").withImage(BUSYBOX),
                RunRequest.of("echo", "second").withImage(BUSYBOX),
                RunRequest.of("echo", "never").withImage("agentkernel/no-such-image:local"),
                RunRequest.of("sh", "-c", "exit 7").withImage(BUSYBOX)));
        assertThat(results).hasSize(4);
        assertThat(results.get(0).result().stdout()).isEqualTo("first\n");
        assertThat(results.get(1).result().stdout()).isEqualTo("second\n");
        assertThat(results.get(2).isOk()).isFalse();
        assertThat(results.get(2).error()).contains("no-such-image");
        assertThat(results.get(3).result().exitCode()).isEqualTo(7);
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
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            List<StreamEvent> seen = new ArrayList<>();
            StreamEvent end = box.execStream(ExecRequest.of("sh", "-c",
                            "echo waiting; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo released")
                    .withTimeout(Duration.ofSeconds(20)), event -> {
                        seen.add(event);
                        if (event instanceof StreamEvent.Output o && o.content().contains("waiting")) {
                            box.writeFile("/tmp/go", "1");
                        }
                    });
            assertThat(end).isInstanceOfSatisfying(StreamEvent.Done.class, d -> {
                assertThat(d.timedOut()).isFalse();
                assertThat(d.exitCode()).isZero();
            });
            assertThat(seen).filteredOn(StreamEvent.Output.class::isInstance)
                    .extracting(e -> ((StreamEvent.Output) e).content()).containsSubsequence("waiting\n", "released\n");
            assertThat(seen).filteredOn(StreamEvent.Progress.class::isInstance)
                    .extracting(e -> ((StreamEvent.Progress) e).stage()).containsExactly("executing");
        }
    }

    @Test
    void closingAnExecStreamKillsTheCommand() {
        String name = uniqueName("cancel");
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            EventStream stream = box.execStream(ExecRequest.of("sh", "-c", "echo ready; exec sleep 600"));
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
    void runStreamListenerFormEndsWithErrorForAMissingImage() {
        List<StreamEvent> seen = new ArrayList<>();
        StreamEvent end = client.runStream(RunRequest.of("echo", "x").withImage("agentkernel/no-such-image:local")
                .withFast(false), seen::add);
        assertThat(end).isInstanceOfSatisfying(StreamEvent.Error.class,
                e -> assertThat(e.message()).contains("no-such-image"));
        assertThat(seen).last().isEqualTo(end);
        assertThat(seen).filteredOn(StreamEvent::isTerminal).hasSize(1);
    }

    @Test
    void runStreamListenerFormReturnsDone() {
        StringBuilder out = new StringBuilder();
        StreamEvent end = client.runStream(RunRequest.of("sh", "-c", "echo a; echo b").withImage(BUSYBOX), event -> {
            if (event instanceof StreamEvent.Output o) {
                out.append(o.content());
            }
        });
        assertThat(end).isEqualTo(new StreamEvent.Done(0, ((StreamEvent.Done) end).duration(), false));
        assertThat(out).hasToString("a\nb\n");
    }

    @Test
    void streamErrorsBeforeTheStartAreExceptions() {
        assertThatThrownBy(() -> client.execStream("sdk-it-missing", ExecRequest.of("true")))
                .isInstanceOf(NotFoundException.class);
    }

    // ---- named sandboxes

    @Test
    void namedSandboxLifecycle() {
        String name = uniqueName("life");
        SandboxInfo created = client.create(name, SandboxSpec.image(BUSYBOX).withLimits(1, 128).withProfile("restrictive")
                .withEnv(Map.of("BOX_ENV", "from-create")));
        try {
            assertThat(created.name()).isEqualTo(name);
            assertThat(created.isRunning()).isTrue();
            SandboxInfo got = client.get(name);
            assertThat(got.image()).isEqualTo(BUSYBOX);
            assertThat(got.memoryMb()).isEqualTo(128);
            assertThat(got.vcpus()).isEqualTo(1);
            assertThat(got.profile()).isEqualTo("restrictive");
            assertThat(got.createdAt()).isBefore(Instant.now().plusSeconds(5));
            assertThat(client.list()).extracting(SandboxInfo::name).contains(name);

            assertThat(client.exec(name, "echo", "hi").stdout()).isEqualTo("hi\n");
            assertThat(client.exec(name, "sh", "-c", "echo $BOX_ENV").stdout()).isEqualTo("from-create\n");
            ExecResult slow = client.exec(name, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(500)));
            assertThat(slow.timedOut()).isTrue();

            assertThat(client.stop(name).status()).isEqualTo("stopped");
            assertThat(client.get(name).status()).isEqualTo("stopped");
            assertThatThrownBy(() -> client.exec(name, "true")).isInstanceOf(ConflictException.class)
                    .satisfies(e -> assertThat(((AgentKernelClientException) e).status()).isEqualTo(409));
            assertThat(client.start(name).isRunning()).isTrue();
            assertThat(client.exec(name, "echo", "again").stdout()).isEqualTo("again\n");
        } finally {
            client.remove(name);
        }
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.remove(name)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void filesTextAndBinaryRoundTrip() {
        String name = uniqueName("files");
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            assertThat(box.writeFile("/tmp/a dir/hello.txt", "hello w\u00f6rld"))
                    .isEqualTo("Wrote 12 bytes to /tmp/a dir/hello.txt");
            assertThat(box.readFile("/tmp/a dir/hello.txt")).isEqualTo("hello w\u00f6rld");
            assertThat(box.exec("cat", "/tmp/a dir/hello.txt").stdout()).isEqualTo("hello w\u00f6rld");

            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            box.writeFile("/tmp/bin/data.bin", all);
            assertThat(box.readFileBytes("/tmp/bin/data.bin")).isEqualTo(all);
            assertThat(box.exec("wc", "-c", "/tmp/bin/data.bin").stdout()).contains("256");
            // Text files read as bytes come back as their UTF-8 bytes.
            assertThat(box.readFileBytes("/tmp/a dir/hello.txt")).isEqualTo("hello w\u00f6rld".getBytes(StandardCharsets.UTF_8));

            assertThat(box.deleteFile("/tmp/a dir/hello.txt")).isEqualTo("Deleted /tmp/a dir/hello.txt");
            assertThatThrownBy(() -> box.readFile("/tmp/a dir/hello.txt")).isInstanceOf(NotFoundException.class);
        }
    }

    @Test
    void logsListTheSandboxEventsAndOutliveIt() {
        String name = uniqueName("logs");
        Instant start = Instant.now().minusSeconds(1);
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            box.exec("true");
            box.writeFile("/tmp/x", "x");
            List<AuditEntry> logs = box.logs();
            assertThat(logs).extracting(AuditEntry::event)
                    .containsSubsequence("sandbox_created", "command_executed", "file_written");
            assertThat(logs).allSatisfy(e -> {
                assertThat(e.sandbox()).isEqualTo(name);
                assertThat(e.timestamp()).isAfterOrEqualTo(start);
            });
            assertThat(logs).extracting(AuditEntry::timestamp).isSorted();
            assertThat(client.logs(name, null, 1)).hasSize(1).first().extracting(AuditEntry::event).isEqualTo("file_written");
            assertThat(client.logs(name, Instant.now().plusSeconds(3600), 0)).isEmpty();
        }
        assertThat(client.logs(name)).extracting(AuditEntry::event).contains("sandbox_removed");
    }

    // ---- sessions

    @Test
    void sessionRemovesTheSandboxWhenTheBlockThrows() {
        String name = uniqueName("session");
        int before = ownContainers().size();
        assertThatThrownBy(() -> {
            try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
                box.writeFile("/tmp/state", "half done");
                assertThat(ownContainers()).hasSize(before + 1);
                throw new IllegalStateException("boom");
            }
        }).isInstanceOf(IllegalStateException.class).hasMessage("boom");
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(NotFoundException.class);
        assertThat(ownContainers()).hasSize(before);
    }

    @Test
    void sessionCloseIsIdempotentAndToleratesAnAlreadyRemovedSandbox() {
        String name = uniqueName("gone");
        SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX));
        assertThat(box.info().name()).isEqualTo(name);
        client.remove(name);
        box.close();
        box.close();
        assertThatThrownBy(() -> client.get(name)).isInstanceOf(NotFoundException.class);
    }

    // ---- errors

    @Test
    void eachErrorTypeCarriesStatusAndServerCode() {
        AgentKernelClientException notFound = catchClientException(() -> client.get("sdk-it-no-such-sandbox"));
        assertThat(notFound).isInstanceOf(NotFoundException.class).hasMessage("Sandbox 'sdk-it-no-such-sandbox' not found");
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.code()).isEqualTo("not_found");

        AgentKernelClientException invalid = catchClientException(() -> client.create("-bad name", SandboxSpec.image(BUSYBOX)));
        assertThat(invalid).isInstanceOf(ValidationException.class);
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.code()).isEqualTo("invalid_request");
        assertThat(invalid.getMessage()).containsIgnoringCase("name");

        String name = uniqueName("dup");
        try (SandboxSession existing = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            AgentKernelClientException conflict = catchClientException(
                    () -> client.create(existing.name(), SandboxSpec.image(BUSYBOX)));
            assertThat(conflict).isInstanceOf(ConflictException.class);
            assertThat(conflict.status()).isEqualTo(409);
            assertThat(conflict.code()).isEqualTo("conflict");
        }

        AgentKernelClientException wrongKey = catchClientException(() -> clientWithKey("wrong").list());
        assertThat(wrongKey).isInstanceOf(UnauthorizedException.class);
        assertThat(wrongKey.status()).isEqualTo(401);
        assertThat(wrongKey.code()).isEqualTo("unauthorized");
        assertThat(catchClientException(() -> clientWithKey(null).health())).isInstanceOf(UnauthorizedException.class);
        // The key as a bearer token (what the upstream SDKs send) works as well.
        assertThat(AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(KEY).useBearer(true)
                .build().health().isOk()).isTrue();

        AgentKernelClientException down = catchClientException(() -> AgentKernelClient.builder()
                .baseUrl("http://127.0.0.1:1").connectTimeout(Duration.ofSeconds(2)).build().health());
        assertThat(down.isNetworkFailure()).isTrue();
        assertThat(down.code()).isEqualTo(AgentKernelClientException.CODE_NETWORK);
    }

    @Test
    void overloadedServerAnswersUnavailableWithRetryAfter() throws Exception {
        // A second server on the same kernel that accepts one blocking call at a time.
        try (AgentKernelServer tiny = AgentKernelServer.start(kernel,
                ServerOptions.from(kernel.config(), KEY).withHost("127.0.0.1").withPort(0).withWorkers(1, 1))) {
            AgentKernelClient tinyClient = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + tiny.port())
                    .apiKey(KEY).build();
            String name = uniqueName("busy");
            try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
                box.writeFile("/tmp/hold", "");
                CompletableFuture<ExecResult> holder = CompletableFuture.supplyAsync(() -> tinyClient.exec(name,
                        ExecRequest.of("sh", "-c", "while [ -f /tmp/hold ]; do sleep 0.05; done")
                                .withTimeout(Duration.ofSeconds(30))));
                try {
                    await("the first call occupies the server", () -> box.exec("ps").stdout().contains("while"));
                    AgentKernelClientException busy = catchClientException(tinyClient::list);
                    assertThat(busy).isInstanceOf(UnavailableException.class);
                    assertThat(busy.status()).isIn(429, 503);
                    assertThat(((UnavailableException) busy).retryAfter()).isPresent();
                } finally {
                    box.deleteFile("/tmp/hold");
                    assertThat(holder.get(30, TimeUnit.SECONDS).exitCode()).isZero();
                }
            }
        }
    }

    @Test
    void clientTimeoutIsReportedWithoutStatus() {
        String name = uniqueName("slow");
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(BUSYBOX))) {
            AgentKernelClient impatient = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port())
                    .apiKey(KEY).timeout(Duration.ofMillis(500)).build();
            AgentKernelClientException e = catchClientException(() -> impatient.exec(box.name(), "sleep", "3"));
            assertThat(e.status()).isZero();
            assertThat(e.code()).isEqualTo(AgentKernelClientException.CODE_TIMEOUT);
        }
    }

    @Test
    void agentLoopStyleGeneratedCodeWithTimeoutAndFileReadBack() {
        String name = uniqueName("agent");
        try (SandboxSession box = client.sandbox(name, SandboxSpec.image(PYTHON))) {
            box.writeFile("/tmp/step.py", "while True:\n    pass\n");
            ExecResult runaway = box.exec(ExecRequest.of("python3", "/tmp/step.py").withTimeout(Duration.ofSeconds(1)));
            assertThat(runaway.timedOut()).isTrue();
            box.writeFile("/tmp/step.py", "import json\njson.dump({'n': sum(range(10))}, open('/tmp/answer.json', 'w'))\n");
            assertThat(box.exec("python3", "/tmp/step.py").exitCode()).isZero();
            assertThat(box.readFile("/tmp/answer.json")).isEqualTo("{\"n\": 45}");
        }
    }

    // ---- helpers

    private static AgentKernelClientException catchClientException(Runnable call) {
        try {
            call.run();
        } catch (AgentKernelClientException e) {
            return e;
        }
        return fail("expected an AgentKernelClientException");
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
