package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The behaviour every real {@link Backend} must have, run against a real engine by each backend's IT
 * ({@code DockerBackendIT extends BackendContractTest}). Process-level cases (memory and fork bombs, process-tree
 * kill, network interfaces, capabilities) need a real isolation engine, so the in-memory fake does not run this.
 *
 * <p>The image must be busybox-like: {@code sh}, {@code sleep}, {@code cat}, {@code head}, {@code grep}, with
 * {@code /workspace} owned by uid 65534. Every sandbox made here carries this run's own instance id, is removed
 * after each test even when it fails, and the count of sandboxes of that owner is checked before and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class BackendContractTest {
    /** The id written on every sandbox this test class makes. */
    protected final String owner = "contract-test/" + UUID.randomUUID();
    protected Backend backend;
    private final Set<String> made = ConcurrentHashMap.newKeySet();
    private long ownedBefore;

    /** A backend that labels what it creates with {@code instanceId}. */
    protected abstract Backend openBackend(String instanceId);

    /** A locally available busybox-like image. */
    protected abstract String image();

    @BeforeAll
    void openAndCount() {
        backend = openBackend(owner);
        ownedBefore = countOwned();
    }

    @AfterEach
    void removeWhatThisTestMade() {
        for (String name : List.copyOf(made)) {
            try {
                backend.remove(name);
            } catch (AgentKernelException e) {
                assertThat(e.code()).as("cleanup of " + name).isEqualTo(ErrorCode.NOT_FOUND);
            }
            made.remove(name);
        }
    }

    @AfterAll
    void countAndClose() {
        if (backend == null) {
            return; // opening failed: that failure is the report
        }
        try {
            assertThat(countOwned()).as("sandboxes of this test run left behind").isEqualTo(ownedBefore);
        } finally {
            backend.close();
        }
    }

    protected long countOwned() {
        return backend.list().stream().filter(i -> owner.equals(i.owner())).count();
    }

    /** A fresh, unique name, remembered for cleanup. */
    protected String newName(String hint) {
        String name = "ct-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
        made.add(name);
        return name;
    }

    protected SandboxSpec spec(String hint, SecurityProfile profile, int memoryMb) {
        return new SandboxSpec(newName(hint), image(), 1, memoryMb, profile, Map.of(), Map.of("purpose", "contract-test"),
                SandboxKind.NAMED);
    }

    protected String create(String hint, SecurityProfile profile) {
        return backend.create(spec(hint, profile, 256)).name();
    }

    protected ExecResult sh(String sandbox, String script) {
        return backend.exec(sandbox, ExecRequest.of("sh", "-c", script).withTimeout(Duration.ofSeconds(60)));
    }

    /** The command lines of every live process in the sandbox, read from /proc (no ps needed). */
    protected List<String> processes(String sandbox) {
        ExecResult r = sh(sandbox, "for p in /proc/[0-9]*; do [ -r $p/cmdline ] && tr '\\0' ' ' < $p/cmdline "
                + "2>/dev/null && echo; done");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return Arrays.stream(r.stdout().split("\n")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    @Test
    void lifecycleKeepsFilesAcrossStopAndStart() {
        SandboxSpec spec = spec("life", SecurityProfile.MODERATE, 128);
        SandboxInfo info = backend.create(spec);
        assertThat(info.name()).isEqualTo(spec.name());
        assertThat(info.status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(info.backend()).isEqualTo(backend.id());
        assertThat(info.image()).isEqualTo(image());
        assertThat(info.memoryMb()).isEqualTo(128);
        assertThat(info.vcpus()).isEqualTo(1);
        assertThat(info.profile()).isEqualTo(SecurityProfile.MODERATE);
        assertThat(info.kind()).isEqualTo(SandboxKind.NAMED);
        assertThat(info.owner()).isEqualTo(owner);
        assertThat(info.createdAt()).isNotNull();
        assertThat(backend.list()).extracting(SandboxInfo::name).contains(spec.name());

        backend.writeFile(spec.name(), new FileContent("/tmp/keep/me.txt", "kept".getBytes(StandardCharsets.UTF_8)));
        assertThat(backend.stop(spec.name()).status()).isEqualTo(SandboxStatus.STOPPED);
        assertThat(backend.inspect(spec.name())).get().extracting(SandboxInfo::status).isEqualTo(SandboxStatus.STOPPED);
        assertThat(backend.stop(spec.name()).status()).as("stop is idempotent").isEqualTo(SandboxStatus.STOPPED);
        AgentKernelException stopped = catchThrowableOfType(AgentKernelException.class,
                () -> backend.exec(spec.name(), ExecRequest.of("true")));
        assertThat(stopped.code()).isEqualTo(ErrorCode.CONFLICT);
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> backend.readFile(spec.name(), "/tmp/keep/me.txt", 1024)).code()).isEqualTo(ErrorCode.CONFLICT);

        assertThat(backend.start(spec.name()).status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(backend.start(spec.name()).status()).as("start is idempotent").isEqualTo(SandboxStatus.RUNNING);
        assertThat(backend.readFile(spec.name(), "/tmp/keep/me.txt", 1024).utf8()).contains("kept");

        backend.remove(spec.name());
        assertThat(backend.inspect(spec.name())).isEmpty();
        assertThat(backend.list()).extracting(SandboxInfo::name).doesNotContain(spec.name());
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.remove(spec.name())).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void duplicateNameIsAConflict() {
        SandboxSpec spec = spec("dup", SecurityProfile.MODERATE, 64);
        backend.create(spec);
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class, () -> backend.create(spec));
        assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
        assertThat(e.getMessage()).isEqualTo("Sandbox '" + spec.name() + "' already exists");
        assertThat(backend.inspect(spec.name())).get().extracting(SandboxInfo::status).isEqualTo(SandboxStatus.RUNNING);
    }

    @Test
    void missingSandboxIsNotFoundEverywhere() {
        String name = "ct-missing-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(backend.inspect(name)).isEmpty();
        for (Runnable op : List.<Runnable>of(() -> backend.remove(name), () -> backend.stop(name),
                () -> backend.start(name), () -> backend.exec(name, ExecRequest.of("true")),
                () -> backend.readFile(name, "/tmp/x", 10), () -> backend.deleteFile(name, "/tmp/x"),
                () -> backend.writeFile(name, new FileContent("/tmp/x", new byte[1])))) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class, op::run);
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            assertThat(e.getMessage()).isEqualTo("Sandbox '" + name + "' not found");
        }
    }

    // ---- exec -----------------------------------------------------------------------------------------------

    @Test
    void exitCodesAndSeparateStreams() {
        String s = create("exit", SecurityProfile.MODERATE);
        assertThat(backend.exec(s, ExecRequest.of("true")).exitCode()).isZero();
        assertThat(sh(s, "exit 3").exitCode()).isEqualTo(3);

        ExecResult r = sh(s, "echo out; echo err >&2; echo out2");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("out\nout2\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.timedOut()).isFalse();
        assertThat(r.truncated()).isFalse();

        ExecResult ordered = sh(s, "echo 1; sleep 0.3; echo 2 >&2; sleep 0.3; echo 3");
        assertThat(ordered.output()).isEqualTo("1\n2\n3\n");
        assertThat(ordered.stdout()).isEqualTo("1\n3\n");
        assertThat(ordered.stderr()).isEqualTo("2\n");
    }

    @Test
    void argvIsPassedAsArgvNeverThroughAShell() {
        String s = create("argv", SecurityProfile.MODERATE);
        ExecResult r = backend.exec(s, ExecRequest.of("echo", "a b", "$HOME", "'q'", "; true", "*"));
        assertThat(r.stdout()).isEqualTo("a b $HOME 'q' ; true *\n");
        ExecResult missing = backend.exec(s, ExecRequest.of("definitely-not-a-command-" + UUID.randomUUID()));
        assertThat(missing.exitCode()).isNotZero();
    }

    @Test
    void memoryBombIsKilledWith137() {
        SandboxSpec spec = spec("oom", SecurityProfile.MODERATE, 32);
        backend.create(spec);
        ExecResult r = backend.exec(spec.name(), ExecRequest.of("sh", "-c", "a=xxxxxxxxxxxxxxxx; while :; do a=$a$a; done")
                .withTimeout(Duration.ofSeconds(90)));
        assertThat(r.timedOut()).isFalse();
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(sh(spec.name(), "echo alive").stdout()).isEqualTo("alive\n");
    }

    @Test
    void timeoutKillsTheWholeTreeQuickly() {
        String s = create("timeout", SecurityProfile.MODERATE);
        long t0 = System.nanoTime();
        ExecResult r = backend.exec(s, ExecRequest.of("sleep", "600").withTimeout(Duration.ofSeconds(1)));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(took).isLessThan(Duration.ofSeconds(15));
        assertThat(processes(s)).noneMatch(p -> p.contains("sleep 600"));

        // A tree: background children, an orphaned grandchild, one that ignores SIGTERM.
        ExecResult tree = backend.exec(s, ExecRequest.of("sh", "-c",
                "sleep 601 & sh -c 'trap \"\" TERM; sleep 602' & (sleep 603 &) ; echo started; wait")
                .withTimeout(Duration.ofSeconds(2)));
        assertThat(tree.timedOut()).isTrue();
        assertThat(tree.stdout()).isEqualTo("started\n");
        assertThat(processes(s)).noneMatch(p -> p.matches(".*sleep 60[123].*"));
    }

    @Test
    protected void timeoutAlsoKillsProcessesThatLeftTheSession() {
        String s = create("setsid", SecurityProfile.RESTRICTIVE);
        ExecResult r = backend.exec(s, ExecRequest.of("sh", "-c", "setsid sleep 605 & sleep 606 & echo started; wait")
                .withTimeout(Duration.ofSeconds(2)));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.stdout()).isEqualTo("started\n");
        assertThat(processes(s)).noneMatch(p -> p.matches(".*sleep 60[56].*"));
    }

    @Test
    void cancellationKillsTheCommand() throws Exception {
        String s = create("cancel", SecurityProfile.RESTRICTIVE);
        Cancellation cancellation = Cancellation.create();
        CountDownLatch started = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> f = pool.submit(() -> backend.exec(s,
                    ExecRequest.of("sh", "-c", "echo go; sleep 604").withTimeout(Duration.ofSeconds(120)),
                    chunk -> started.countDown(), cancellation));
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            cancellation.cancel();
            ExecResult r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.timedOut()).isTrue();
            assertThat(r.stdout()).isEqualTo("go\n");
        } finally {
            pool.shutdownNow();
        }
        assertThat(processes(s)).noneMatch(p -> p.contains("sleep 604"));
    }

    @Test
    void forkBombIsContainedByThePidsLimit() {
        String s = create("forkbomb", SecurityProfile.RESTRICTIVE);
        // The bomb churns against the pids limit from a subshell; the outer shell then spins without forking
        // (a shell whose fork fails gives up), so only the timeout ends the command.
        ExecResult r = backend.exec(s, ExecRequest.of("sh", "-c", "(f() { f | f & }; f); while :; do :; done")
                .withTimeout(Duration.ofSeconds(5)));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.stderr()).as("the bomb hit the pids limit").containsIgnoringCase("fork");
        ExecResult after = sh(s, "echo alive");
        assertThat(after.exitCode()).isZero();
        assertThat(after.stdout()).isEqualTo("alive\n");
        assertThat(processes(s).size()).as("processes left").isLessThan(10);
    }

    @Test
    void outputFloodIsCappedAndMarkedTruncated() {
        String s = create("flood", SecurityProfile.MODERATE);
        ExecResult r = backend.exec(s, ExecRequest.of("sh", "-c", "yes abcdefghi | head -c 5000000; echo done >&2")
                .withMaxOutputBytes(1024 * 1024).withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.truncated()).isTrue();
        assertThat(r.stdout()).hasSize(1024 * 1024).startsWith("abcdefghi\nabcdefghi\n");
        assertThat(r.stderr()).isEqualTo("done\n");
    }

    @Test
    void stdinReachesEofAndEnvAndWorkdirAreHonoured() {
        String s = create("stdin", SecurityProfile.MODERATE);
        byte[] input = "hello\nworld\n".getBytes(StandardCharsets.UTF_8);
        ExecResult cat = backend.exec(s, ExecRequest.of("cat").withStdin(input).withTimeout(Duration.ofSeconds(20)));
        assertThat(cat.timedOut()).isFalse();
        assertThat(cat.stdout()).isEqualTo("hello\nworld\n");
        ExecResult empty = backend.exec(s, ExecRequest.of("cat").withTimeout(Duration.ofSeconds(20)));
        assertThat(empty.timedOut()).isFalse();
        assertThat(empty.stdout()).isEmpty();

        byte[] big = new byte[3 * 1024 * 1024];
        Arrays.fill(big, (byte) 'z');
        ExecResult wc = backend.exec(s, ExecRequest.of("wc", "-c").withStdin(big).withTimeout(Duration.ofSeconds(30)));
        assertThat(wc.stdout().trim()).isEqualTo(Integer.toString(big.length));

        ExecResult env = backend.exec(s, ExecRequest.of("sh", "-c", "echo \"$FOO|$BAR\"; pwd")
                .withEnv(Map.of("FOO", "foo value", "BAR", "x=y")).withWorkdir("/tmp"));
        assertThat(env.stdout()).isEqualTo("foo value|x=y\n/tmp\n");
    }

    @Test
    void streamingListenerGetsChunksBeforeTheCommandEnds() throws Exception {
        String s = create("stream", SecurityProfile.MODERATE);
        String flag = "/tmp/go-" + UUID.randomUUID();
        CountDownLatch first = new CountDownLatch(1);
        List<OutputChunk> chunks = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            // The command only ends once the test saw its first line and released it: a listener that only
            // got output at the end would leave it waiting until its timeout.
            Future<ExecResult> f = pool.submit(() -> backend.exec(s, ExecRequest.of("sh", "-c",
                    "echo first; echo warn >&2; while [ ! -e \"$1\" ]; do sleep 0.05; done; echo second", "sh", flag)
                    .withTimeout(Duration.ofSeconds(30)), chunk -> {
                        chunks.add(chunk);
                        if (chunk.text().contains("first")) {
                            first.countDown();
                        }
                    }, Cancellation.create()));
            assertThat(first.await(20, TimeUnit.SECONDS)).isTrue();
            backend.writeFile(s, new FileContent(flag, new byte[0]));
            ExecResult r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.timedOut()).isFalse();
            assertThat(r.stdout()).isEqualTo("first\nsecond\n");
            assertThat(chunks).extracting(OutputChunk::stream).contains(OutputChunk.Stream.STDOUT, OutputChunk.Stream.STDERR);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- restrictive profile --------------------------------------------------------------------------------

    @Test
    void restrictiveHasNoNetworkNoRootNoCapabilitiesAndAReadOnlyRoot() {
        String s = create("restrict", SecurityProfile.RESTRICTIVE);
        ExecResult ifaces = sh(s, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertThat(ifaces.stdout().trim()).isEqualTo("lo");
        assertThat(sh(s, "id -u").stdout().trim()).isEqualTo("65534");
        assertThat(sh(s, "grep CapEff /proc/self/status").stdout()).contains("0000000000000000");
        assertThat(sh(s, "grep NoNewPrivs /proc/self/status").stdout()).contains("1");
        ExecResult touch = sh(s, "touch /should-not-exist");
        assertThat(touch.exitCode()).isNotZero();
        assertThat(sh(s, "[ -e /should-not-exist ] && echo yes || echo no").stdout()).isEqualTo("no\n");
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                () -> backend.writeFile(s, new FileContent("/etc/evil", new byte[] {1})));
        assertThat(e.code()).isIn(ErrorCode.FORBIDDEN, ErrorCode.INVALID_REQUEST);
        assertThat(sh(s, "pwd").stdout()).isEqualTo("/workspace\n");
    }

    @Test
    void binaryFilesRoundTripOnARestrictiveSandbox() {
        String s = create("binary", SecurityProfile.RESTRICTIVE);
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        for (String path : List.of("/tmp/all.bin", "/workspace/deep/er/all.bin")) {
            backend.writeFile(s, new FileContent(path, all));
            FileContent back = backend.readFile(s, path, 1024);
            assertThat(back.path()).isEqualTo(path);
            assertThat(back.content()).isEqualTo(all);
            assertThat(back.utf8()).isEmpty();
        }
        assertThat(sh(s, "wc -c < /workspace/deep/er/all.bin").stdout().trim()).isEqualTo("256");
    }

    // ---- files ----------------------------------------------------------------------------------------------

    @Test
    void fileErrorsAreClear() {
        String s = create("files", SecurityProfile.MODERATE);
        backend.writeFile(s, new FileContent("/tmp/f.txt", "0123456789".getBytes(StandardCharsets.UTF_8)));
        assertThat(backend.readFile(s, "tmp//./f.txt", 10).utf8()).contains("0123456789");
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp/f.txt", 9)).code())
                .isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp/nope", 9)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp", 9)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/dev/zero", 9)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> backend.writeFile(s, new FileContent("/tmp", new byte[1]))).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.deleteFile(s, "/tmp")).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);

        backend.deleteFile(s, "/tmp/f.txt");
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp/f.txt", 9)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.deleteFile(s, "/tmp/f.txt")).code())
                .isEqualTo(ErrorCode.NOT_FOUND);

        // A path with shell metacharacters is a path, nothing more.
        String odd = "/tmp/a b;$(touch /tmp/pwned)`id`'\"";
        backend.writeFile(s, new FileContent(odd, "odd".getBytes(StandardCharsets.UTF_8)));
        assertThat(backend.readFile(s, odd, 10).utf8()).contains("odd");
        assertThat(sh(s, "[ -e /tmp/pwned ] && echo yes || echo no").stdout()).isEqualTo("no\n");
    }

    @Test
    void pathTraversalAndNulAreRefused() {
        String s = create("paths", SecurityProfile.MODERATE);
        for (String bad : List.of("/tmp/../etc/passwd", "../../etc/shadow", "/tmp/a\0b", "/tmp/\nx", "/")) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, bad, 100));
            assertThat(e).as(bad).isNotNull();
            assertThat(e.code()).as(bad).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThatThrownBy(() -> backend.deleteFile(s, bad)).isInstanceOf(AgentKernelException.class)
                    .extracting(t -> ((AgentKernelException) t).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        }
        assertThatThrownBy(() -> backend.exec(s, ExecRequest.of("echo", "a\0b")))
                .isInstanceOf(AgentKernelException.class);
    }

    @Test
    void everyProfileCanWriteItsWritablePlaces() {
        List<String> failures = new ArrayList<>();
        for (SecurityProfile p : SecurityProfile.values()) {
            String s = create("prof-" + p.wireName(), p);
            for (String path : List.of("/tmp/x/p.txt", "/workspace/p.txt")) {
                try {
                    backend.writeFile(s, new FileContent(path, p.wireName().getBytes(StandardCharsets.UTF_8)));
                    assertThat(backend.readFile(s, path, 100).utf8()).contains(p.wireName());
                } catch (AgentKernelException e) {
                    failures.add(p + " " + path + ": " + e.getMessage());
                }
            }
            backend.remove(s);
        }
        assertThat(failures).isEmpty();
    }
}
