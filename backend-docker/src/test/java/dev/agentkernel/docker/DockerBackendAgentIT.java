package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.docker.agent.AgentSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** How the backend picks the agent or docker exec, shows it, and keeps using it across processes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerBackendAgentIT {
    private final String owner = "agent-choice-it/" + UUID.randomUUID();
    private final List<DockerBackend> opened = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    private DockerBackend open(String mode) {
        DockerBackend b = DockerBackend.open(new BackendSettings(DockerBackend.ID, owner,
                mode == null ? Map.of() : Map.of(AgentSupport.MODE_PROPERTY, mode)));
        opened.add(b);
        return b;
    }

    private SandboxSpec spec(String hint, SecurityProfile profile, SandboxKind kind) {
        String n = "it-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
        names.add(n);
        return new SandboxSpec(n, DockerBackendIT.BUSYBOX, 1, 128, profile, Map.of(), Map.of(), kind);
    }

    @AfterEach
    void cleanUp() {
        DockerBackend any = open(null);
        for (String n : names) {
            try {
                any.remove(n);
            } catch (AgentKernelException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
            }
        }
        assertThat(any.list().stream().filter(i -> owner.equals(i.owner()))).isEmpty();
        opened.forEach(DockerBackend::close);
    }

    @Test
    void autoUsesTheAgentForNamedAndPooledSandboxesAndShowsIt() {
        DockerBackend b = open(null);
        SandboxInfo named = b.create(spec("named", SecurityProfile.RESTRICTIVE, SandboxKind.NAMED));
        assertThat(named.detail("exec_via")).isEqualTo("agent");
        SandboxInfo pooled = b.create(spec("pool", SecurityProfile.MODERATE, SandboxKind.POOL));
        assertThat(pooled.detail("exec_via")).isEqualTo("agent");
        assertThat(b.list()).filteredOn(i -> i.name().equals(named.name())).extracting(i -> i.detail("exec_via"))
                .containsExactly("agent");
        assertThat(b.health().details()).containsKey("exec_via");
        // the agent is the sandbox's long-running process: no sleep, and it runs as the sandbox user
        ExecResult ps = b.exec(named.name(), ExecRequest.of("sh", "-c",
                "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo \" uid=$(awk '/^Uid/{print $2}' $p/status)\"; done"));
        assertThat(ps.stdout()).contains("/.agentkernel/agentkernel-agent  uid=65534").doesNotContain("sleep infinity");
    }

    /**
     * {@code sudo} where the agent is not root (an image whose user is not): the command goes through docker exec
     * as root instead; a detached one, which only the agent keeps, is refused.
     */
    @Test
    void sudoPastANonRootAgentRunsAsRootThroughDockerExec() throws Exception {
        String image = "agentkernel-it-nonroot:" + UUID.randomUUID().toString().substring(0, 8);
        try (com.github.dockerjava.api.DockerClient plain = DockerBackend.client(
                DockerBackend.config(BackendSettings.of("docker")))) {
            String base = plain.createContainerCmd(DockerBackendIT.BUSYBOX).withCmd("true")
                    .withLabels(Map.of("dev.agentkernel.it", owner)).exec().getId();
            try {
                plain.commitCmd(base).withRepository(image.split(":")[0]).withTag(image.split(":")[1])
                        .withUser("1000:1000").exec();
            } finally {
                plain.removeContainerCmd(base).withForce(true).exec();
            }
            try {
                DockerBackend b = open(null);
                SandboxSpec spec = spec("sudo", SecurityProfile.MODERATE, SandboxKind.NAMED);
                SandboxInfo s = b.create(new SandboxSpec(spec.name(), image, 1, 128, SecurityProfile.MODERATE, Map.of(),
                        Map.of(), SandboxKind.NAMED));
                assertThat(s.detail("exec_via")).isEqualTo("agent");
                assertThat(b.exec(s.name(), ExecRequest.of("id", "-u")).stdout()).isEqualTo("1000\n");
                assertThat(b.exec(s.name(), ExecRequest.of("id", "-u").withSudo(true)).stdout()).isEqualTo("0\n");
                AgentKernelException detached = catchThrowableOfType(AgentKernelException.class,
                        () -> b.execDetached(s.name(), "d1", ExecRequest.of("id", "-u").withSudo(true)));
                assertThat(detached.code()).isEqualTo(ErrorCode.UNSUPPORTED);
                b.remove(s.name());
            } finally {
                plain.removeImageCmd(image).withForce(true).exec();
            }
        }
    }

    @Test
    void dockerExecModeMakesPlainSandboxes() {
        DockerBackend b = open("docker-exec");
        SandboxInfo s = b.create(spec("plain", SecurityProfile.MODERATE, SandboxKind.NAMED));
        assertThat(s.detail("exec_via")).isEqualTo("docker-exec");
        assertThat(b.exec(s.name(), ExecRequest.of("echo", "hi")).stdout()).isEqualTo("hi\n");
    }

    @Test
    void anotherProcessTalksToTheSandboxTheWayItWasMade() {
        SandboxInfo s = open(null).create(spec("adopt", SecurityProfile.RESTRICTIVE, SandboxKind.NAMED));
        open(null).writeFile(s.name(), new FileContent("/workspace/a.txt", "one".getBytes(StandardCharsets.UTF_8)));
        // a backend configured for docker exec still reaches this agent sandbox through its agent
        DockerBackend other = open("docker-exec");
        assertThat(other.inspect(s.name())).get().extracting(i -> i.detail("exec_via")).isEqualTo("agent");
        assertThat(other.readFile(s.name(), "/workspace/a.txt", 100).utf8()).contains("one");
        assertThat(other.exec(s.name(), ExecRequest.of("cat", "/workspace/a.txt")).stdout()).isEqualTo("one");
    }

    /**
     * {@code running} (what the warm pool asks on a run's answer path) answers from the agent's open connection, and
     * a container that ends behind the backend's back is not running — from the connection the engine closed, or
     * from the engine itself; a process without a connection asks the engine.
     */
    @Test
    void runningComesFromTheAgentConnectionAndSeesAKilledContainer() throws Exception {
        DockerBackend b = open(null);
        SandboxInfo s = b.create(spec("running", SecurityProfile.MODERATE, SandboxKind.POOL));
        assertThat(b.running(s.name())).isTrue();
        assertThat(open(null).running(s.name())).isTrue(); // no connection there: the engine's word
        try (com.github.dockerjava.api.DockerClient plain = DockerBackend.client(
                DockerBackend.config(BackendSettings.of("docker")))) {
            plain.killContainerCmd(s.id()).exec();
        }
        // the kill is asynchronous: the container ends (and the engine closes the attach stream) moments later
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.running(s.name()) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(b.running(s.name())).isFalse();
        assertThat(b.running("it-never-made-" + UUID.randomUUID().toString().substring(0, 8))).isFalse();
    }

    @Test
    void stopDuringExecIsAConflictNotABackendFailure() throws Exception {
        DockerBackend b = open(null);
        SandboxInfo s = b.create(spec("stop", SecurityProfile.MODERATE, SandboxKind.NAMED));
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
            open(null).stop(s.name());
        });
        stopper.start();
        AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                () -> b.exec(s.name(), ExecRequest.of("sleep", "30")));
        stopper.join();
        if (e != null) {
            assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
        } else {
            // the agent was told to stop (SIGTERM) and killed its command first: also fine, but it must have ended
            assertThat(b.inspect(s.name())).get().extracting(SandboxInfo::running).isEqualTo(false);
        }
        assertThat(b.start(s.name()).running()).isTrue();
        assertThat(b.exec(s.name(), ExecRequest.of("echo", "back")).stdout()).isEqualTo("back\n");
    }
}
