package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Docker-only behaviour: foreign containers, labels read back by another instance, images, health. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerBackendSpecificIT {
    private final String owner = "docker-it/" + UUID.randomUUID();
    private final DockerBackend backend = open(owner);
    private final DockerClient plain = DockerBackend.client(DockerBackend.config(BackendSettings.of("docker")));
    private final List<String> ours = new ArrayList<>();
    private final List<String> foreignIds = new ArrayList<>();

    private static DockerBackend open(String owner) {
        return DockerBackend.open(new BackendSettings(DockerBackend.ID, owner, Map.of()));
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            for (String name : ours) {
                try {
                    backend.remove(name);
                } catch (AgentKernelException e) {
                    assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                }
            }
            for (String id : foreignIds) {
                plain.removeContainerCmd(id).withForce(true).exec();
            }
            assertThat(backend.list().stream().filter(i -> owner.equals(i.owner()))).isEmpty();
        } finally {
            backend.close();
            plain.close();
        }
    }

    /** A backend receives specs the kernel has resolved: no null profile or limits. */
    private static SandboxSpec resolved(SandboxSpec spec) {
        return spec.withDefaults(SecurityProfile.DEFAULT, 1, 512);
    }

    private String name(String hint) {
        String n = "it-" + hint + "-" + UUID.randomUUID().toString().substring(0, 8);
        ours.add(n);
        return n;
    }

    @Test
    void aContainerWithoutOurLabelsIsNeverListedTouchedOrRemoved() {
        String name = name("foreign");
        String id = plain.createContainerCmd(DockerBackendIT.BUSYBOX).withName("agentkernel-" + name)
                .withLabels(Map.of("purpose", "agentkernel-foreign-test", "owner", owner))
                .withEntrypoint("sleep").withCmd("300").exec().getId();
        foreignIds.add(id);
        // A second one that copies our managed label but not a matching name label.
        String copied = plain.createContainerCmd(DockerBackendIT.BUSYBOX).withName("agentkernel-" + name + "-x")
                .withLabels(Map.of("dev.agentkernel.managed", "true", "dev.agentkernel.name", name))
                .withEntrypoint("sleep").withCmd("300").exec().getId();
        foreignIds.add(copied);

        assertThat(backend.list()).extracting(SandboxInfo::name).doesNotContain(name, name + "-x");
        assertThat(backend.inspect(name)).isEmpty();
        assertThat(backend.inspect(name + "-x")).isEmpty();
        for (Runnable op : List.<Runnable>of(() -> backend.remove(name), () -> backend.stop(name),
                () -> backend.start(name), () -> backend.exec(name, ExecRequest.of("true")),
                () -> backend.remove(name + "-x"))) {
            assertThat(catchThrowableOfType(AgentKernelException.class, op::run).code()).isEqualTo(ErrorCode.NOT_FOUND);
        }
        AgentKernelException taken = catchThrowableOfType(AgentKernelException.class,
                () -> backend.create(resolved(SandboxSpec.named(name, DockerBackendIT.BUSYBOX))));
        assertThat(taken.code()).isEqualTo(ErrorCode.CONFLICT);
        // Both are still there, untouched.
        assertThat(plain.inspectContainerCmd(id).exec().getConfig().getLabels()).doesNotContainKey("dev.agentkernel.managed");
        assertThat(plain.inspectContainerCmd(copied).exec().getId()).isEqualTo(copied);
    }

    @Test
    void anotherInstanceSeesTheSandboxesFromTheLabels() {
        String name = name("adopt");
        SandboxInfo made = backend.create(new SandboxSpec(name, DockerBackendIT.BUSYBOX, 1, 96,
                SecurityProfile.RESTRICTIVE, Map.of("GREETING", "hi"), Map.of(), null));
        try (DockerBackend other = open("docker-it-other/" + UUID.randomUUID())) {
            SandboxInfo seen = other.inspect(name).orElseThrow();
            assertThat(seen).isEqualTo(made);
            assertThat(seen.owner()).isEqualTo(owner);
            assertThat(other.list()).contains(made);
            assertThat(other.exec(name, ExecRequest.of("sh", "-c", "echo $GREETING")).stdout()).isEqualTo("hi\n");
        }
    }

    @Test
    void aMissingImageIsAClearErrorNamingIt() {
        // Nothing may be pulled from Docker Hub here (the registry allowlist names another registry): no traffic.
        String image = "agentkernel/missing:none";
        String name = name("noimage");
        try (DockerBackend hubless = DockerBackend.open(new BackendSettings("docker", owner,
                Map.of("docker.pull", "registry.invalid")))) {
            AgentKernelException e = catchThrowableOfType(AgentKernelException.class,
                    () -> hubless.create(resolved(SandboxSpec.named(name, image))));
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("Image '" + image + "'", "pulling from docker.io is not allowed")
                    .doesNotContain("\tat ");
            assertThat(hubless.inspect(name)).isEmpty();
            assertThat(hubless.imageAvailable(image)).isFalse();
            assertThat(hubless.imageAvailable(DockerBackendIT.BUSYBOX)).isTrue();
            // A registry on loopback is refused before the engine is asked anything.
            AgentKernelException loopback = catchThrowableOfType(AgentKernelException.class,
                    () -> hubless.create(resolved(SandboxSpec.named(name, "127.0.0.1:1/agentkernel/missing:none"))));
            assertThat(loopback.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(loopback.getMessage()).contains("loopback, link-local or private address");
            // A snapshot deleted before its restore is gone: its repository is never asked of a registry.
            String snapshot = DockerSnapshots.tag("it-gone-" + UUID.randomUUID().toString().substring(0, 8));
            AgentKernelException gone = catchThrowableOfType(AgentKernelException.class,
                    () -> hubless.create(resolved(SandboxSpec.named(name, snapshot))));
            assertThat(gone.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(gone.getMessage()).contains("Image '" + snapshot + "'", "snapshot images are never pulled");
            assertThat(hubless.inspect(name)).isEmpty();
        }
        try (DockerBackend noPull = DockerBackend.open(new BackendSettings("docker", owner, Map.of("docker.pull", "false")))) {
            assertThat(catchThrowableOfType(AgentKernelException.class,
                    () -> noPull.create(resolved(SandboxSpec.named(name, image)))).getMessage()).contains("not available locally");
        }
    }

    @Test
    void healthAndProviderSelection() {
        BackendHealth h = backend.health();
        assertThat(h.available()).isTrue();
        assertThat(h.details()).containsKeys("engine_version", "api_version");
        try (Backend viaLoader = Backends.open(new BackendSettings("docker", owner, Map.of()))) {
            assertThat(viaLoader.id()).isEqualTo("docker");
        }
        assertThat(new DockerBackendProvider().availability(BackendSettings.of("docker")).available()).isTrue();
        BackendSettings nowhere = new BackendSettings("docker", owner, Map.of("docker.host", "unix:///nonexistent/docker.sock"));
        assertThat(new DockerBackendProvider().availability(nowhere).available()).isFalse();
        try (DockerBackend down = DockerBackend.open(nowhere)) {
            BackendHealth dh = down.health();
            assertThat(dh.available()).isFalse();
            assertThat(dh.message()).isNotBlank();
            assertThat(catchThrowableOfType(AgentKernelException.class, down::list).code())
                    .isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        }
    }

    @Test
    void containersCarryTheProfileSettings() {
        String name = name("hostcfg");
        SandboxInfo info = backend.create(new SandboxSpec(name, DockerBackendIT.BUSYBOX, 1, 64,
                SecurityProfile.RESTRICTIVE, Map.of(), Map.of(), null));
        var hc = plain.inspectContainerCmd(info.id()).exec().getHostConfig();
        assertThat(hc.getReadonlyRootfs()).isTrue();
        assertThat(hc.getMemory()).isEqualTo(64L * 1024 * 1024);
        assertThat(hc.getPidsLimit()).isEqualTo(128L);
        assertThat(hc.getNetworkMode()).isEqualTo("none");
        // The agent is PID 1 itself (see AgentSupport.prepare); docker-exec sandboxes keep docker-init.
        assertThat(info.detail("exec_via")).isEqualTo("agent");
        assertThat(hc.getInit()).isFalse();
        assertThat(hc.getPrivileged()).isFalse();
        assertThat(plain.inspectContainerCmd(info.id()).exec().getName()).isEqualTo("/agentkernel-" + name);
        backend.remove(name);
        assertThat(catchThrowableOfType(NotFoundException.class, () -> plain.inspectContainerCmd(info.id()).exec()))
                .isNotNull();
    }

    @Test
    void bridgeProfilesJoinOurNetworkWithInterSandboxTrafficOff() {
        String name = name("net");
        SandboxInfo info = backend.create(new SandboxSpec(name, DockerBackendIT.BUSYBOX, 1, 64,
                SecurityProfile.MODERATE, Map.of(), Map.of(), null));
        var c = plain.inspectContainerCmd(info.id()).exec();
        assertThat(c.getHostConfig().getNetworkMode()).isEqualTo(SandboxNetwork.NAME);
        assertThat(c.getNetworkSettings().getNetworks()).containsOnlyKeys(SandboxNetwork.NAME);
        var net = plain.inspectNetworkCmd().withNetworkId(SandboxNetwork.NAME).exec();
        assertThat(net.getOptions()).containsEntry(SandboxNetwork.ICC_OPTION, "false")
                .containsEntry(SandboxNetwork.BRIDGE_NAME_OPTION, SandboxNetwork.BRIDGE);
        assertThat(backend.health().details().get("network")).contains(SandboxNetwork.NAME, "inter-sandbox traffic off");
    }
}
