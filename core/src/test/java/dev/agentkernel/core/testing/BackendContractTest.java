package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
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
 * What every {@link Backend} must do that a caller can observe through the SPI: lifecycle, names, errors, exit
 * codes, streams, stdin, env and workdir, timeouts and cancellation, output caps, and the file semantics (paths in
 * the sandbox's own view, parents created, atomic writes, a symbolic link as the last component refused, a
 * read-only root under the restrictive profile). Run by the in-memory {@link FakeBackend}
 * ({@code FakeBackendContractTest}) and, through {@link EngineContractTest}, by each real backend's IT.
 *
 * <p>Commands are kept to what a busybox image and the fake both understand: {@code echo}, {@code cat},
 * {@code sleep}, {@code env}, {@code pwd}, {@code true}, {@code wc -c}, {@code ln -s}, {@code mkdir -p}, and
 * {@code sh -c} with {@code ;}-separated statements without quoting. Every sandbox made here carries this run's
 * own instance id, is removed after each test even when it fails, and the count of sandboxes of that owner is
 * checked before and after.
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

    /**
     * Asserts that no process whose command line contains {@code commandLine} is left in the sandbox. Only a real
     * engine has processes to look at: {@link EngineContractTest} checks them; here it is a no-op.
     */
    protected void assertNoProcess(String sandbox, String commandLine) {
    }

    /**
     * Whether the sandboxes run under gVisor (runsc). Its differences, documented in docs/security.md, are then
     * expected as gVisor's behaviour: a memory limit ends the whole sandbox, {@code /tmp} of a writable root is
     * gVisor's own tmpfs (it does not survive stop/start), {@code /proc/self/status} has no NoNewPrivs line.
     */
    protected boolean gvisor() {
        return false;
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
        backend.writeFile(spec.name(), new FileContent("/workspace/keep/me.txt", "kept".getBytes(StandardCharsets.UTF_8)));
        if (backend.capabilities().contains(Capability.STOP_START)) {
            assertThat(backend.stop(spec.name()).status()).isEqualTo(SandboxStatus.STOPPED);
            assertThat(backend.inspect(spec.name())).get().extracting(SandboxInfo::status)
                    .isEqualTo(SandboxStatus.STOPPED);
            assertThat(backend.stop(spec.name()).status()).as("stop is idempotent").isEqualTo(SandboxStatus.STOPPED);
            AgentKernelException stopped = catchThrowableOfType(AgentKernelException.class,
                    () -> backend.exec(spec.name(), ExecRequest.of("true")));
            assertThat(stopped.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(catchThrowableOfType(AgentKernelException.class,
                    () -> backend.readFile(spec.name(), "/tmp/keep/me.txt", 1024)).code()).isEqualTo(ErrorCode.CONFLICT);

            assertThat(backend.start(spec.name()).status()).isEqualTo(SandboxStatus.RUNNING);
            assertThat(backend.start(spec.name()).status()).as("start is idempotent").isEqualTo(SandboxStatus.RUNNING);
            if (backend.capabilities().contains(Capability.STOP_KEEPS_FILES)) {
                assertThat(backend.readFile(spec.name(), "/workspace/keep/me.txt", 1024).utf8()).contains("kept");
                if (gvisor()) {
                    assertThat(catchThrowableOfType(AgentKernelException.class,
                            () -> backend.readFile(spec.name(), "/tmp/keep/me.txt", 1024)).code())
                            .as("gVisor's own /tmp is memory: gone after stop/start").isEqualTo(ErrorCode.NOT_FOUND);
                } else {
                    assertThat(backend.readFile(spec.name(), "/tmp/keep/me.txt", 1024).utf8()).contains("kept");
                }
            }
        }

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
    void namesTheWireAllowsWork() {
        SandboxSpec spec = new SandboxSpec(newName("Upper_Case.v1"), image(), 1, 64, SecurityProfile.MODERATE, Map.of(),
                Map.of(), SandboxKind.NAMED);
        assertThat(backend.create(spec).name()).isEqualTo(spec.name());
        assertThat(backend.inspect(spec.name())).get().extracting(SandboxInfo::name).isEqualTo(spec.name());
        assertThat(backend.exec(spec.name(), ExecRequest.of("echo", "ok")).stdout()).isEqualTo("ok\n");
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
    void timeoutKillsTheCommandQuickly() {
        String s = create("timeout", SecurityProfile.MODERATE);
        long t0 = System.nanoTime();
        ExecResult r = backend.exec(s, ExecRequest.of("sleep", "600").withTimeout(Duration.ofSeconds(1)));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(took).isLessThan(Duration.ofSeconds(15));
        assertNoProcess(s, "sleep 600");
        assertThat(sh(s, "echo alive").stdout()).as("the sandbox outlives the kill").isEqualTo("alive\n");
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
        assertNoProcess(s, "sleep 604");
    }

    @Test
    void outputOverTheCapIsCutAndMarkedTruncated() {
        String s = create("flood", SecurityProfile.MODERATE);
        byte[] big = new byte[3 * 1024 * 1024];
        Arrays.fill(big, (byte) 'a');
        ExecResult r = backend.exec(s, ExecRequest.of("cat").withStdin(big).withMaxOutputBytes(1024 * 1024)
                .withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.truncated()).isTrue();
        assertThat(r.stdout()).hasSize(1024 * 1024).matches("a+");
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

        ExecResult env = backend.exec(s, ExecRequest.of("env").withEnv(Map.of("FOO", "foo value", "BAR", "x=y")));
        assertThat(env.stdout().lines()).contains("FOO=foo value", "BAR=x=y");
        assertThat(backend.exec(s, ExecRequest.of("pwd").withWorkdir("/tmp")).stdout()).isEqualTo("/tmp\n");
    }

    @Test
    void outputReachesTheListenerBeforeTheCommandEnds() throws Exception {
        String s = create("stream", SecurityProfile.MODERATE);
        List<OutputChunk> chunks = new CopyOnWriteArrayList<>();
        long[] firstAt = {0};
        long start = System.nanoTime();
        ExecResult r = backend.exec(s, ExecRequest.of("sh", "-c", "echo first; echo warn >&2; sleep 2; echo second")
                .withTimeout(Duration.ofSeconds(30)), chunk -> {
                    if (chunks.isEmpty()) {
                        firstAt[0] = System.nanoTime();
                    }
                    chunks.add(chunk);
                }, Cancellation.create());
        long end = System.nanoTime();
        assertThat(r.stdout()).isEqualTo("first\nsecond\n");
        assertThat(Duration.ofNanos(end - firstAt[0])).as("first output long before the end")
                .isGreaterThan(Duration.ofMillis(1500));
        assertThat(firstAt[0]).isGreaterThan(start);
        assertThat(chunks).extracting(OutputChunk::stream).contains(OutputChunk.Stream.STDOUT, OutputChunk.Stream.STDERR);
    }

    // ---- files ----------------------------------------------------------------------------------------------

    @Test
    void binaryFilesRoundTripAndParentsAreCreated() {
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
        ExecResult cat = backend.exec(s, ExecRequest.of("cat", "/workspace/deep/er/all.bin"));
        assertThat(cat.exitCode()).as("a command sees what was written").isZero();
        assertThat(backend.exec(s, ExecRequest.of("wc", "-c").withStdin(all)).stdout().trim()).isEqualTo("256");
    }

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
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> backend.writeFile(s, new FileContent("/tmp/f.txt/under", new byte[1]))).code())
                .as("a parent that is a file (ENOTDIR)").isEqualTo(ErrorCode.NOT_FOUND);
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
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp/pwned", 9)).code())
                .isEqualTo(ErrorCode.NOT_FOUND);
    }

    @Test
    void aSymbolicLinkAsTheLastComponentIsNeverFollowedAndLinkedParentsResolveInside() {
        String s = create("links", SecurityProfile.MODERATE);
        byte[] secret = "secret".getBytes(StandardCharsets.UTF_8);
        backend.writeFile(s, new FileContent("/tmp/real/target.txt", secret));
        assertThat(sh(s, "ln -s /tmp/real/target.txt /tmp/link; ln -s /tmp/real /tmp/dirlink").exitCode()).isZero();

        AgentKernelException read = catchThrowableOfType(AgentKernelException.class,
                () -> backend.readFile(s, "/tmp/link", 100));
        assertThat(read.code()).as("read through a link").isEqualTo(ErrorCode.INVALID_REQUEST);
        AgentKernelException write = catchThrowableOfType(AgentKernelException.class,
                () -> backend.writeFile(s, new FileContent("/tmp/link", "overwritten".getBytes(StandardCharsets.UTF_8))));
        assertThat(write.code()).as("write through a link").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(backend.readFile(s, "/tmp/real/target.txt", 100).content()).as("the target is untouched")
                .isEqualTo(secret);

        backend.writeFile(s, new FileContent("/tmp/dirlink/new.txt", "via parent".getBytes(StandardCharsets.UTF_8)));
        assertThat(backend.readFile(s, "/tmp/real/new.txt", 100).utf8()).as("a linked parent resolves inside")
                .contains("via parent");
        assertThat(backend.readFile(s, "/tmp/dirlink/target.txt", 100).content()).isEqualTo(secret);

        backend.deleteFile(s, "/tmp/link");
        assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.readFile(s, "/tmp/link", 100)).code())
                .as("delete removes the link").isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(backend.readFile(s, "/tmp/real/target.txt", 100).content()).as("never its target")
                .isEqualTo(secret);
    }

    /**
     * The agent's path rule on every transport: a link in a parent position is followed only when its target stays
     * inside the directory holding the link ({@code /tmp/x -> /tmp/real} or {@code real} yes, {@code /etc} or
     * {@code ../etc} no), for read, write and delete alike.
     */
    @Test
    void aLinkedParentLeadingOutsideItsDirectoryIsRefused() {
        String s = create("outside", SecurityProfile.MODERATE);
        backend.writeFile(s, new FileContent("/tmp/real/inside.txt", "inside".getBytes(StandardCharsets.UTF_8)));
        assertThat(sh(s, "ln -s /etc /tmp/abs; ln -s ../etc /tmp/up; ln -s real /tmp/rel").exitCode()).isZero();
        for (String path : List.of("/tmp/abs/passwd", "/tmp/up/passwd")) {
            assertRefused("read " + path, () -> backend.readFile(s, path, 1 << 20));
            assertRefused("write " + path, () -> backend.writeFile(s, new FileContent(path + "-new", new byte[] {1})));
            assertRefused("delete " + path, () -> backend.deleteFile(s, path));
        }
        assertThat(backend.readFile(s, "/tmp/rel/inside.txt", 100).utf8()).as("a relative link inside")
                .contains("inside");
        backend.writeFile(s, new FileContent("/tmp/rel/more.txt", "more".getBytes(StandardCharsets.UTF_8)));
        assertThat(backend.readFile(s, "/tmp/real/more.txt", 100).utf8()).contains("more");
    }

    private static void assertRefused(String what, org.assertj.core.api.ThrowableAssert.ThrowingCallable op) {
        assertThat(catchThrowableOfType(AgentKernelException.class, op)).as(what + " is refused").isNotNull()
                .extracting(AgentKernelException::code).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void writesAreAtomicAReaderSeesTheOldOrTheNewContentNeverAMix() throws Exception {
        String s = create("atomic", SecurityProfile.MODERATE);
        int size = 2 * 1024 * 1024; // big enough that a write in place takes a while
        byte[] a = new byte[size];
        byte[] b = new byte[size];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        String path = "/tmp/atomic.bin";
        backend.writeFile(s, new FileContent(path, a));
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<?> writes = writer.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    backend.writeFile(s, new FileContent(path, i % 2 == 0 ? b : a));
                }
            });
            int reads = 0;
            while (!writes.isDone() || reads < 10) {
                byte[] seen = backend.readFile(s, path, size * 2L).content();
                reads++;
                assertThat(seen.length).as("read %d: a whole file", reads).isEqualTo(size);
                assertThat(seen[0] == seen[size - 1] && seen[size / 2] == seen[0]).as("read %d: one version", reads)
                        .isTrue();
                assertThat(new String(seen, StandardCharsets.ISO_8859_1).chars().distinct().count())
                        .as("read %d: one version", reads).isEqualTo(1);
            }
            writes.get(2, TimeUnit.MINUTES);
        } finally {
            writer.shutdownNow();
        }
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
    void restrictiveRootIsReadOnlyButTmpAndWorkspaceAreWritable() {
        String s = create("readonly", SecurityProfile.RESTRICTIVE);
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                () -> backend.writeFile(s, new FileContent("/etc/evil", new byte[] {1})));
        assertThat(e.code()).isIn(ErrorCode.FORBIDDEN, ErrorCode.INVALID_REQUEST);
        assertThat(backend.exec(s, ExecRequest.of("touch", "/should-not-exist")).exitCode()).isNotZero();
        assertThat(catchThrowableOfType(AgentKernelException.class,
                () -> backend.readFile(s, "/should-not-exist", 10)).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(backend.exec(s, ExecRequest.of("pwd")).stdout()).isEqualTo("/workspace\n");
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
