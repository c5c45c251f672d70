package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The server as a separate JVM for {@link RestartAfterKillIT}: like {@link Main}, but the start-up reconcile only
 * touches sandboxes of the earlier test processes named in {@code -Dreap.pids} (the engine is shared with other
 * test runs whose containers are not ours to remove). Prints its owner id and port for the parent.
 */
public final class ChildServer {
    private ChildServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        Set<String> pids = Arrays.stream(System.getProperty("reap.pids", "").split(",")).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        AgentKernelConfig config = ConfigLoader.load();
        AgentKernel kernel = AgentKernel.builder()
                .backend(Backends.open(BackendSettings.of("docker")))
                .config(config)
                .reconcileFilter(s -> s.owner() != null && s.owner().split("/").length == 3
                        && pids.contains(s.owner().split("/")[1]))
                .build()
                .start();
        AgentKernelServer server = AgentKernelServer.start(kernel, ServerOptions.from(config, null).withPort(0));
        System.out.println("owner=" + InstanceId.current());
        System.out.println("port=" + server.port());
        System.out.flush();
        Main.serveUntilShutdown(server, kernel);
    }
}
