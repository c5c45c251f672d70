package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The backend contract plus what only a real isolation engine can show: processes (a timeout or cancel leaves none
 * behind, also of a whole tree or of processes that left the session), memory and fork bombs contained, and the
 * restrictive profile seen from inside (no network interface but loopback, non-root, no capabilities). Each real
 * backend's IT extends this ({@code DockerBackendIT}); the image must be busybox-like ({@code sh}, {@code sleep},
 * {@code cat}, {@code head}, {@code grep}, {@code tr}, {@code setsid}).
 */
public abstract class EngineContractTest extends BackendContractTest {
    /** The command lines of every live process in the sandbox, read from /proc (no ps needed). */
    protected List<String> processes(String sandbox) {
        ExecResult r = backend.exec(sandbox, ExecRequest.of("sh", "-c", "for p in /proc/[0-9]*; do [ -r $p/cmdline ] "
                + "&& tr '\\0' ' ' < $p/cmdline 2>/dev/null && echo; done").withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return Arrays.stream(r.stdout().split("\n")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    protected void assertNoProcess(String sandbox, String commandLine) {
        assertThat(processes(sandbox)).noneMatch(p -> p.contains(commandLine));
    }

    @Test
    void memoryBombIsKilledWith137() {
        SandboxSpec spec = spec("oom", SecurityProfile.MODERATE, 32);
        backend.create(spec);
        ExecRequest bomb = ExecRequest.of("sh", "-c", "a=xxxxxxxxxxxxxxxx; while :; do a=$a$a; done")
                .withTimeout(Duration.ofSeconds(90));
        if (gvisor()) {
            // gVisor ends the whole sandbox: the command fails saying why, the sandbox is stopped, not broken, and
            // starts again.
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class, () -> backend.exec(spec.name(), bomb));
            assertThat(e).as("the bomb's exec").isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(e.getMessage()).contains("ran out of memory");
            assertThat(backend.inspect(spec.name())).get().extracting(SandboxInfo::status).isEqualTo(SandboxStatus.STOPPED);
            assertThat(backend.start(spec.name()).status()).isEqualTo(SandboxStatus.RUNNING);
        } else {
            ExecResult r = backend.exec(spec.name(), bomb);
            assertThat(r.timedOut()).isFalse();
            assertThat(r.exitCode()).isEqualTo(137);
        }
        assertThat(sh(spec.name(), "echo alive").stdout()).isEqualTo("alive\n");
    }

    @Test
    void timeoutKillsTheWholeTree() {
        String s = create("tree", SecurityProfile.MODERATE);
        // Background children, an orphaned grandchild, one that ignores SIGTERM.
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
    void outputFloodOfARunningCommandIsCapped() {
        String s = create("yes", SecurityProfile.MODERATE);
        ExecResult r = backend.exec(s, ExecRequest.of("sh", "-c", "yes abcdefghi | head -c 5000000; echo done >&2")
                .withMaxOutputBytes(1024 * 1024).withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.truncated()).isTrue();
        assertThat(r.stdout()).hasSize(1024 * 1024).startsWith("abcdefghi\nabcdefghi\n");
        assertThat(r.stderr()).isEqualTo("done\n");
    }

    @Test
    void anOverwrittenFileKeepsItsMode() {
        // Only a real engine has modes (the fake's files have none); every transport must keep them alike.
        String s = create("mode", SecurityProfile.MODERATE);
        assertThat(sh(s, "printf 'echo one' > /tmp/run.sh && chmod 750 /tmp/run.sh").exitCode()).isZero();
        backend.writeFile(s, new FileContent("/tmp/run.sh", "echo two".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        backend.writeFile(s, new FileContent("/tmp/new.txt", new byte[]{'x'}));
        ExecResult r = sh(s, "stat -c %a /tmp/run.sh /tmp/new.txt; sh /tmp/run.sh");
        assertThat(r.stdout()).isEqualTo("750\n644\ntwo\n");
    }

    @Test
    void restrictiveHasNoNetworkNoRootAndNoCapabilities() {
        String s = create("restrict", SecurityProfile.RESTRICTIVE);
        ExecResult ifaces = sh(s, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        assertThat(ifaces.stdout().trim()).isEqualTo("lo");
        assertThat(sh(s, "id -u").stdout().trim()).isEqualTo("65534");
        assertThat(sh(s, "grep CapEff /proc/self/status").stdout()).contains("0000000000000000");
        if (!gvisor()) { // gVisor's /proc/self/status has no such line (no-new-privileges is still set on it)
            assertThat(sh(s, "grep NoNewPrivs /proc/self/status").stdout()).contains("1");
        }
        assertThat(sh(s, "[ -e /should-not-exist ] && echo yes || echo no").stdout()).isEqualTo("no\n");
    }

    /**
     * Ports: a server started in the sandbox (restrictive: no network, only loopback) answers a request written on
     * the stream {@code openPort} gives, which the backend makes from inside the sandbox; without
     * {@link Capability#PORTS} the call is UNSUPPORTED.
     */
    @Test
    void aServerInTheSandboxAnswersThroughOpenPort() throws Exception {
        String s = create("port", SecurityProfile.RESTRICTIVE);
        if (!backend.capabilities().contains(Capability.PORTS)) {
            assertThat(catchThrowableOfType(AgentKernelException.class, () -> backend.openPort(s, 8000, new PortText()))
                    .code()).isEqualTo(ErrorCode.UNSUPPORTED);
            return;
        }
        backend.writeFile(s, new FileContent("/tmp/www/index.html", "hello through the port\n".getBytes(StandardCharsets.UTF_8)));
        Cancellation stop = Cancellation.create();
        CompletableFuture<ExecResult> server = CompletableFuture.supplyAsync(() -> backend.exec(s,
                ExecRequest.of("httpd", "-f", "-p", "127.0.0.1:8000", "-h", "/tmp/www").withTimeout(Duration.ofSeconds(90)),
                OutputListener.NONE, stop));
        try {
            String answer = null;
            for (int i = 0; i < 100 && answer == null; i++) { // until the server listens
                PortText text = new PortText();
                PortStream port = backend.openPort(s, 8000, text);
                try {
                    port.write("GET /index.html HTTP/1.0\r\nHost: sandbox\r\n\r\n".getBytes(StandardCharsets.UTF_8));
                    port.closeWrite();
                } catch (AgentKernelException e) {
                    assertThat(e.code()).as("writing to a connection that already ended").isEqualTo(ErrorCode.CONFLICT);
                }
                String error = text.closed.get(30, TimeUnit.SECONDS);
                if (error == null) {
                    answer = text.text();
                } else {
                    assertThat(error).containsIgnoringCase("refused");
                    Thread.sleep(100);
                }
            }
            assertThat(answer).startsWith("HTTP/1.").contains(" 200 ").contains("hello through the port");
        } finally {
            stop.cancel();
            server.get(60, TimeUnit.SECONDS);
        }
    }

    /** Collects what a port connection sends (an answer far below the window: nothing to acknowledge) and its end. */
    private static final class PortText implements PortListener {
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        @Override
        public synchronized void onData(byte[] data) {
            bytes.write(data, 0, data.length);
        }

        @Override
        public void onEnd() {
        }

        @Override
        public void onClosed(String error) {
            closed.complete(error);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
