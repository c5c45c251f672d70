package dev.agentkernel.kubernetes;

import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The replica that dies, run as a child JVM by {@link ReplicasIT}: a kernel on the simulated cluster (kubeconfig,
 * audit file, instance id, lease in ms as arguments) that makes one temporary sandbox, prints {@code SANDBOX <name>}
 * and {@code READY}, and waits to be killed.
 */
public final class DyingReplicaMain {
    private DyingReplicaMain() {
    }

    public static void main(String[] args) throws Exception {
        Path kubeconfig = Path.of(args[0]);
        Path audit = Path.of(args[1]);
        String owner = args[2];
        Duration lease = Duration.ofMillis(Long.parseLong(args[3]));
        KubernetesBackend backend = (KubernetesBackend) new KubernetesBackendProvider().open(new BackendSettings(
                KubernetesBackend.ID, owner, Map.of("kubernetes.kubeconfig", kubeconfig.toString())));
        AgentKernel kernel = AgentKernel.builder().backend(backend).config(AgentKernelConfig.forTests(audit))
                .reconcileFilter(s -> false).leaseTtl(lease).build().start();
        String name = "dying-" + Long.toHexString(System.nanoTime());
        backend.create(new SandboxSpec(name, SimCluster.IMAGE, 1, 64, SecurityProfile.DEFAULT, Map.of(), Map.of(),
                SandboxKind.RUN)); // a backend gets resolved specs: the kernel fills in the defaults
        System.out.println("SANDBOX " + name);
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // killed, never closed: what a kill -9 leaves behind
        kernel.close();
    }
}
