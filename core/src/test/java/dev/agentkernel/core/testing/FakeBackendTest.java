package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fake must behave like a real backend where callers can see it. */
class FakeBackendTest {
    private final FakeBackend fake = new FakeBackend("host/1/abc");

    private SandboxInfo create(String name) {
        return fake.create(new SandboxSpec(name, "img:1", 2, 256, SecurityProfile.RESTRICTIVE, Map.of(),
                Map.of("team", "a"), SandboxKind.RUN));
    }

    @Test
    void keepsWhatItWasCreatedWith() {
        SandboxInfo info = create("one");
        assertThat(info.status()).isEqualTo(SandboxStatus.RUNNING);
        assertThat(info.owner()).isEqualTo("host/1/abc");
        assertThat(info.kind()).isEqualTo(SandboxKind.RUN);
        assertThat(info.profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(info.vcpus()).isEqualTo(2);
        assertThat(info.memoryMb()).isEqualTo(256);
        assertThat(fake.labels("one")).containsEntry("team", "a");
        assertThat(fake.inspect("one")).contains(info);
        assertThatThrownBy(() -> create("one")).isInstanceOf(AgentKernelException.ConflictException.class);
    }

    @Test
    void stopKeepsFilesAndRefusesExec() {
        create("s");
        fake.writeFile("s", new FileContent("/workspace/a.txt", "x".getBytes(StandardCharsets.UTF_8)));
        fake.stop("s");
        assertThatThrownBy(() -> fake.exec("s", ExecRequest.of("true")))
                .isInstanceOf(AgentKernelException.ConflictException.class);
        assertThatThrownBy(() -> fake.readFile("s", "/workspace/a.txt", 10))
                .isInstanceOf(AgentKernelException.ConflictException.class);
        fake.start("s");
        assertThat(fake.readFile("s", "/workspace/a.txt", 10).utf8()).contains("x");
        assertThatThrownBy(() -> fake.readFile("s", "/workspace/a.txt", 0))
                .isInstanceOf(AgentKernelException.TooLargeException.class);
        fake.remove("s");
        assertThatThrownBy(() -> fake.remove("s")).isInstanceOf(AgentKernelException.NotFoundException.class);
    }

    @Test
    void defaultCommands() {
        create("c");
        assertThat(fake.exec("c", ExecRequest.of("echo", "a", "b")).stdout()).isEqualTo("a b\n");
        assertThat(fake.exec("c", ExecRequest.of("sh", "-c", "exit 5")).exitCode()).isEqualTo(5);
        assertThat(fake.exec("c", ExecRequest.of("sh", "-c", "echo oops >&2")).stderr()).isEqualTo("oops\n");
        assertThat(fake.exec("c", ExecRequest.of("cat").withStdin("in".getBytes(StandardCharsets.UTF_8))).stdout())
                .isEqualTo("in");
        assertThat(fake.exec("c", ExecRequest.of("printenv", "K").withEnv(Map.of("K", "v"))).stdout()).isEqualTo("v\n");
        ExecResult missing = fake.exec("c", ExecRequest.of("nosuch"));
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.stderr()).contains("nosuch: not found");
        ExecResult flood = fake.exec("c", ExecRequest.of("yes").withMaxOutputBytes(64));
        assertThat(flood.truncated()).isTrue();
        assertThat(flood.stdout()).hasSize(64);
    }

    @Test
    void sleepHonoursTimeoutAndCancellationAndRemoval() throws Exception {
        create("t");
        ExecResult timedOut = fake.exec("t", ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(50)));
        assertThat(timedOut.timedOut()).isTrue();
        assertThat(timedOut.exitCode()).isEqualTo(137);

        Cancellation cancel = Cancellation.create();
        CompletableFuture<ExecResult> f = CompletableFuture.supplyAsync(
                () -> fake.exec("t", ExecRequest.of("sleep", "30"), OutputListener.NONE, cancel));
        while (fake.execsInFlight().isEmpty()) {
            Thread.sleep(2);
        }
        cancel.cancel();
        assertThat(f.get(5, TimeUnit.SECONDS).timedOut()).isTrue();

        CompletableFuture<ExecResult> g = CompletableFuture.supplyAsync(() -> fake.exec("t", ExecRequest.of("sleep", "30")));
        while (fake.execsInFlight().isEmpty()) {
            Thread.sleep(2);
        }
        fake.remove("t");
        assertThat(g.get(5, TimeUnit.SECONDS).timedOut()).isTrue();
    }

    @Test
    void customHandlerAndDownEngine() {
        fake.handler(c -> {
            c.out("custom:" + String.join(",", c.argv()));
            return 9;
        });
        create("h");
        ExecResult r = fake.exec("h", ExecRequest.of("anything", "x"));
        assertThat(r.exitCode()).isEqualTo(9);
        assertThat(r.stdout()).isEqualTo("custom:anything,x");
        fake.setAvailable(false);
        assertThat(fake.health().available()).isFalse();
        assertThatThrownBy(fake::list).isInstanceOf(AgentKernelException.BackendUnavailableException.class);
    }
}
