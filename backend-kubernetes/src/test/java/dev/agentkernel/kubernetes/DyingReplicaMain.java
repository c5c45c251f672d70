package dev.agentkernel.kubernetes;

import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The replica that dies, run as a child JVM by {@link ReplicasIT}: a kernel on the simulated cluster (kubeconfig,
 * audit file, instance id, lease in ms as arguments) that starts one long command in a temporary sandbox (through
 * the kernel, so its creation is audited), prints {@code SANDBOX <name>} and {@code READY} once the sandbox exists,
 * and waits to be killed mid-command.
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
        Thread run = new Thread(() -> kernel.run(RunRequest.of("sleep", "3600").withImage(SimCluster.IMAGE)),
                "dying-run");
        run.setDaemon(true);
        run.start();
        Optional<SandboxInfo> sandbox = Optional.empty();
        while (sandbox.isEmpty()) {
            Thread.sleep(100);
            sandbox = backend.list().stream().filter(s -> s.kind() == SandboxKind.RUN && owner.equals(s.owner()))
                    .findFirst();
        }
        System.out.println("SANDBOX " + sandbox.get().name());
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // killed, never closed: what a kill -9 leaves behind
        kernel.close();
    }
}
