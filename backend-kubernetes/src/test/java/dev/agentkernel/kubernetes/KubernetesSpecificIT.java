package dev.agentkernel.kubernetes;

import dev.agentkernel.api.Capability;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What only the Kubernetes backend promises, seen from inside its sandboxes on the simulated cluster (whose node
 * applies the pod's security context as a kubelet would): no NET_RAW even as root, seccomp filtering, no
 * service-account token and no service links, and a named sandbox's workspace across stop and start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubernetesSpecificIT {
    private KubernetesBackend backend;

    @BeforeAll
    void open() {
        backend = SimCluster.open("k8s-specific-" + UUID.randomUUID(), Map.of());
    }

    @AfterAll
    void close() {
        backend.close();
    }

    private String sh(String sandbox, String script) {
        return backend.exec(sandbox, ExecRequest.of("sh", "-c", script)).stdout();
    }

    @Test
    void capabilitiesAreExplicit() {
        assertThat(backend.capabilities()).contains(Capability.STOP_START, Capability.NETWORK_ISOLATION,
                Capability.AGENT_TRANSPORT, Capability.PTY, Capability.PORTS).doesNotContain(Capability.STOP_KEEPS_FILES, Capability.PID_LIMIT,
                Capability.SNAPSHOTS, Capability.VOLUMES);
    }

    /** The agent's terminal over the pod's exec websocket: the same protocol as on Docker, so the same behaviour. */
    @Test
    void aTerminalThroughThePodsAgent() throws Exception {
        String name = "k8s-pty-" + UUID.randomUUID().toString().substring(0, 8);
        backend.create(new SandboxSpec(name, SimCluster.IMAGE, 1, 128, SecurityProfile.RESTRICTIVE, Map.of(), Map.of(),
                SandboxKind.NAMED));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PtyRequest request = new PtyRequest(List.of("sh", "-c", "tty; stty size; read line; echo got-$line; exit 6"),
                    Map.of(), null, 33, 77);
            PtySession pty = backend.openPty(name, request, new PtyListener() {
                @Override
                public void onOutput(byte[] data) {
                    synchronized (out) {
                        out.write(data, 0, data.length);
                    }
                }

                @Override
                public void onExit(int exitCode) {
                }
            });
            pty.write("hello\n".getBytes(StandardCharsets.UTF_8));
            assertThat(pty.exitCode().get(60, TimeUnit.SECONDS)).isEqualTo(6);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8);
            }
            assertThat(text).containsPattern("/dev/pts/\\d+").contains("33 77").contains("got-hello");
        } finally {
            backend.remove(name);
        }
    }

    @Test
    void rootInAModerateSandboxHasNoNetRawNoSeccompEscapeNoTokenAndNoServiceLinks() {
        String name = "k8s-mod-" + UUID.randomUUID().toString().substring(0, 8);
        backend.create(new SandboxSpec(name, SimCluster.IMAGE, 1, 128, SecurityProfile.MODERATE, Map.of(), Map.of(),
                SandboxKind.RUN));
        try {
            assertThat(sh(name, "id -u")).isEqualTo("0\n");
            long capEff = Long.parseLong(sh(name, "grep CapEff /proc/self/status | cut -f2").trim(), 16);
            assertThat(capEff & (1L << 13)).as("NET_RAW (bit 13) in CapEff %x", capEff).isZero();
            assertThat(capEff & (1L << 21)).as("SYS_ADMIN").isZero();
            assertThat(sh(name, "grep Seccomp: /proc/self/status")).containsPattern("Seccomp:\\s+2");
            assertThat(sh(name, "grep NoNewPrivs /proc/self/status")).containsPattern("NoNewPrivs:\\s+1");
            assertThat(sh(name, "ls /var/run/secrets/kubernetes.io 2>&1 || true")).contains("No such file");
            assertThat(sh(name, "env | grep -c _SERVICE_HOST || true").trim())
                    .as("only the API server's own variables, no service links").isEqualTo("1");
        } finally {
            backend.remove(name);
        }
    }

    @Test
    void aNamedSandboxKeepsItsWorkspaceAcrossStopAndStartAndOnlyThat() {
        String name = "k8s-ws-" + UUID.randomUUID().toString().substring(0, 8);
        backend.create(new SandboxSpec(name, SimCluster.IMAGE, 1, 128, SecurityProfile.RESTRICTIVE, Map.of("K", "v"),
                Map.of(), SandboxKind.NAMED));
        try {
            backend.writeFile(name, new FileContent("/workspace/kept.txt", "kept".getBytes(StandardCharsets.UTF_8)));
            backend.writeFile(name, new FileContent("/tmp/gone.txt", "gone".getBytes(StandardCharsets.UTF_8)));
            assertThat(backend.stop(name).status()).isEqualTo(SandboxStatus.STOPPED);
            assertThat(backend.list()).filteredOn(s -> s.name().equals(name)).singleElement()
                    .satisfies(s -> assertThat(s.status()).isEqualTo(SandboxStatus.STOPPED));
            assertThat(backend.start(name).status()).isEqualTo(SandboxStatus.RUNNING);
            assertThat(backend.readFile(name, "/workspace/kept.txt", 100).utf8()).contains("kept");
            assertThat(sh(name, "[ -e /tmp/gone.txt ] && echo yes || echo no; echo $K; id -u"))
                    .isEqualTo("no\nv\n65534\n");
        } finally {
            backend.remove(name);
        }
        assertThat(backend.inspect(name)).isEmpty();
    }
}
