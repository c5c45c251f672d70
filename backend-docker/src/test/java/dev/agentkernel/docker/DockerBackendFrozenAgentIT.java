package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.BackendSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An agent frozen from the host (the only way left to stop it: from inside, the kernel drops signals to PID 1):
 * {@code docker pause} or SIGSTOP. Calls fail within their time plus a few seconds, naming the sandbox; later calls
 * fail at once; the sandbox shows as unknown (so a pool drops it); remove works at once; stop + start recovers.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerBackendFrozenAgentIT {
    private final String owner = "frozen-agent-it/" + UUID.randomUUID();
    private final DockerBackend backend = DockerBackend.open(new BackendSettings(DockerBackend.ID, owner, Map.of()));
    private final DockerClient plain = DockerBackend.client(DockerBackend.config(BackendSettings.of("docker")));
    private final List<String> names = new ArrayList<>();

    private SandboxInfo create(String hint) {
        String n = "it-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
        names.add(n);
        SandboxInfo info = backend.create(new SandboxSpec(n, DockerBackendIT.BUSYBOX, 1, 128, SecurityProfile.MODERATE,
                Map.of(), Map.of(), null));
        assertThat(info.detail("exec_via")).isEqualTo("agent");
        assertThat(backend.exec(n, ExecRequest.of("echo", "ok")).stdout()).isEqualTo("ok\n");
        return info;
    }

    @AfterEach
    void cleanUp() {
        for (String n : names) {
            try {
                backend.inspect(n).ifPresent(i -> {
                    try {
                        plain.unpauseContainerCmd(i.id()).exec();
                    } catch (RuntimeException notPaused) {
                        // fine
                    }
                });
                backend.remove(n);
            } catch (AgentKernelException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            }
        }
        assertThat(backend.list().stream().filter(i -> owner.equals(i.owner()))).isEmpty();
        backend.close();
    }

    private static long msSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void pausedAgentFailsTheCallInTimeThenAtOnceAndRemoveIsImmediate() throws Exception {
        SandboxInfo box = create("paused");
        plain.pauseContainerCmd(box.id()).exec();
        long t0 = System.nanoTime();
        // 2 MiB of stdin and a long timeout: neither the upload nor the wait may hold the caller
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class, () -> backend.exec(box.name(),
                ExecRequest.of("cat").withStdin(new byte[2 << 20]).withTimeout(Duration.ofSeconds(60))));
        long first = msSince(t0);
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(e.getMessage()).contains("sandbox '" + box.name() + "'").contains("marked broken");
        // PING interval 1 s + silence limit 5 s (or write deadline 5 s) + watchdog tick, with slack for a busy host
        assertThat(first).isLessThan(9_000);

        for (Runnable call : List.<Runnable>of(
                () -> backend.exec(box.name(), ExecRequest.of("true")),
                () -> backend.readFile(box.name(), "/etc/hostname", 1000),
                () -> backend.writeFile(box.name(), new FileContent("/tmp/x", "x".getBytes(StandardCharsets.UTF_8))))) {
            long t1 = System.nanoTime();
            AgentKernelException later = catchThrowableOfType(AgentKernelException.class, call::run);
            assertThat(later.code()).isEqualTo(ErrorCode.CONFLICT);
            assertThat(later.getMessage()).contains("'" + box.name() + "' is broken");
            assertThat(msSince(t1)).isLessThan(1_000);
        }
        assertThat(backend.inspect(box.name()).orElseThrow().status()).isEqualTo(SandboxStatus.UNKNOWN);
        long t2 = System.nanoTime();
        backend.remove(box.name());
        assertThat(msSince(t2)).isLessThan(5_000);
        assertThat(backend.inspect(box.name())).isEmpty();
    }

    @Test
    void agentStoppedByTheHostIsShownAsBrokenUntilStopAndStartRecoverIt() throws Exception {
        SandboxInfo box = create("sigstop");
        // A file read in flight while the agent is stopped: it fails in time, it does not wait its 60 s.
        plain.killContainerCmd(box.id()).withSignal("SIGSTOP").exec();
        long t0 = System.nanoTime();
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                () -> backend.readFile(box.name(), "/etc/hostname", 1000));
        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(msSince(t0)).isLessThan(9_000);
        // Docker still says running; we know better, and so does a pool asking before it hands a member out.
        assertThat(plain.inspectContainerCmd(box.id()).exec().getState().getRunning()).isTrue();
        SandboxInfo now = backend.inspect(box.name()).orElseThrow();
        assertThat(now.status()).isEqualTo(SandboxStatus.UNKNOWN);
        assertThat(now.running()).isFalse();
        assertThat(backend.list()).filteredOn(i -> i.name().equals(box.name())).extracting(SandboxInfo::status)
                .containsExactly(SandboxStatus.UNKNOWN);

        backend.stop(box.name());
        backend.start(box.name());
        ExecResult r = backend.exec(box.name(), ExecRequest.of("echo", "back"), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("back\n");
        assertThat(backend.inspect(box.name()).orElseThrow().status()).isEqualTo(SandboxStatus.RUNNING);
    }

    @Test
    void aFrozenSandboxDoesNotHoldUpAnother() throws Exception {
        SandboxInfo frozen = create("frozen");
        SandboxInfo healthy = create("healthy");
        plain.pauseContainerCmd(frozen.id()).exec();
        CompletableFuture<Object> stuck = CompletableFuture.supplyAsync(() -> {
            try {
                return backend.exec(frozen.name(), ExecRequest.of("sleep", "30").withTimeout(Duration.ofSeconds(30)));
            } catch (AgentKernelException ex) {
                return ex;
            }
        });
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            assertThat(backend.exec(healthy.name(), ExecRequest.of("echo", "" + i)).stdout()).isEqualTo(i + "\n");
            assertThat(msSince(t0)).isLessThan(2_000);
        }
        assertThat(stuck.get(15, TimeUnit.SECONDS)).isInstanceOf(AgentKernelException.class);
    }
}
