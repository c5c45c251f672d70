package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The kernel consults the backend's capabilities and refuses, audited, what the backend cannot do. */
class CapabilitiesTest {
    @TempDir
    Path dir;
    FakeBackend fake = new FakeBackend();
    AgentKernel kernel;

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
    }

    private AgentKernel kernel(Set<Capability> capabilities) {
        fake.capabilities(capabilities);
        kernel = AgentKernel.builder().backend(fake).config(AgentKernelConfig.forTests(dir.resolve("audit.jsonl")))
                .build();
        return kernel;
    }

    @Test
    void theKernelShowsWhatTheBackendDeclares() {
        assertThat(kernel(EnumSet.of(Capability.STOP_START, Capability.SNAPSHOTS)).capabilities())
                .containsExactlyInAnyOrder(Capability.STOP_START, Capability.SNAPSHOTS);
    }

    /** A command run as root says so in both of its events; one run as the sandbox's user has no sudo entry. */
    @Test
    void aSudoCommandIsAuditedAsOne() {
        kernel(EnumSet.of(Capability.NETWORK_ISOLATION, Capability.SUDO));
        kernel.create(SandboxSpec.named("box", null));
        kernel.exec("box", ExecRequest.of("id").withSudo(true));
        kernel.exec("box", ExecRequest.of("id"));
        List<AuditEvent> commands = kernel.logs("box", LogQuery.ALL).stream()
                .filter(e -> e.event().startsWith("command_")).toList();
        assertThat(commands).extracting(AuditEvent::event)
                .containsExactly("command_started", "command_executed", "command_started", "command_executed");
        assertThat(commands.get(0).details()).containsEntry("sudo", true);
        assertThat(commands.get(1).details()).containsEntry("sudo", true);
        assertThat(commands.get(2).details()).doesNotContainKey("sudo");
        assertThat(commands.get(3).details()).doesNotContainKey("sudo");
    }

    @Test
    void stopAndStartWithoutTheCapabilityAreUnsupportedAndAudited() {
        kernel(EnumSet.of(Capability.NETWORK_ISOLATION));
        kernel.create(SandboxSpec.named("box", null));
        for (Runnable op : new Runnable[] {() -> kernel.stop("box"), () -> kernel.start("box")}) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class, op::run);
            assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
            assertThat(e.getMessage()).contains("fake backend").contains("stop_start");
        }
        assertThat(kernel.get("box").running()).as("the backend was never asked").isTrue();
        assertThat(kernel.logs("box", LogQuery.ALL)).extracting(AuditEvent::event)
                .containsExactly("sandbox_created", "operation_failed", "operation_failed");
        assertThat(kernel.logs("box", LogQuery.ALL).get(1).details()).containsEntry("code", "unsupported");
    }

    @Test
    void aProfileWithoutNetworkNeedsNetworkIsolation() {
        kernel(EnumSet.of(Capability.STOP_START));
        AgentKernelException named = catchThrowableOfType(AgentKernelException.class, () -> kernel.create(
                SandboxSpec.named("closed", null).withProfile(SecurityProfile.RESTRICTIVE)));
        assertThat(named.code()).isEqualTo(ErrorCode.UNSUPPORTED);
        assertThat(named.getMessage()).contains("restrictive").contains("network_isolation");
        AgentKernelException run = catchThrowableOfType(AgentKernelException.class, () -> kernel.run(
                RunRequest.of("echo", "x").withProfile(SecurityProfile.RESTRICTIVE)));
        assertThat(run.code()).isEqualTo(ErrorCode.UNSUPPORTED);
        assertThat(fake.names()).as("nothing was created").isEmpty();
        assertThat(fake.createCount()).isZero();

        assertThat(kernel.create(SandboxSpec.named("open", null).withProfile(SecurityProfile.MODERATE)).running())
                .as("profiles with network need nothing").isTrue();
    }
}
