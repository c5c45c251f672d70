package dev.agentkernel.cli;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.setup.EngineSetup;
import dev.agentkernel.connect.SandboxesFactory;
import dev.agentkernel.connect.Target;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.Map;

/**
 * The CLI's use of the front ends' one factory ({@link SandboxesFactory}): remote when a URL is given (--url, else
 * $AGENTKERNEL_BASE_URL), otherwise embedded from the configuration, with the Docker engine made ready first (setup
 * runs by itself when the engine or the default images are missing).
 */
public final class DefaultClientFactory implements ClientFactory {
    private final Map<String, String> env;

    public DefaultClientFactory(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public Sandboxes open(ConnectionOptions connection, Console console) {
        return factory(console).open(target(connection, true));
    }

    @Override
    public Sandboxes openLongRunning(ConnectionOptions connection, Console console) {
        return factory(console).openLazily(target(connection, false));
    }

    /**
     * Where the sandboxes are. A one-shot command's embedded kernel keeps no warm pool (it would start containers
     * only to drain them when the command ends) and pulls the images its user names from any registry; the
     * long-running MCP server's serves a model, which names the images: pulled only from configured registries.
     */
    public Target target(ConnectionOptions connection, boolean oneShot) {
        connection.requireNoBackendWithUrl();
        return Target.choose(connection.url(), env, () -> {
            AgentKernelConfig config = ConfigFiles.load(connection, env);
            return oneShot ? ConfigFiles.oneShot(config) : config;
        }, InstanceId.current(), oneShot ? BackendSettings.PULL_ANY : BackendSettings.PULL_NONE);
    }

    /** Makes the Docker engine ready when the configured backend is Docker (or left to the auto-pick). */
    public void prepareEngine(AgentKernelConfig config, Console console) {
        if (config.sandbox().backend() == null || "docker".equals(config.sandbox().backend())) {
            new EngineSetup(env).ensureReady(console);
        }
    }

    private SandboxesFactory factory(Console console) {
        return new SandboxesFactory(config -> prepareEngine(config, console));
    }
}
