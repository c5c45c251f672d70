package dev.agentkernel.cli;

import dev.agentkernel.cli.setup.EngineSetup;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.Map;

/**
 * Remote when a URL is given (--url, else $AGENTKERNEL_BASE_URL); otherwise embedded: the configuration, a Docker
 * engine made ready on first use (setup runs by itself when the engine or the default images are missing), the
 * backend found by {@link Backends#open}, and the {@link AgentKernel} facade over it.
 */
public final class DefaultClientFactory implements ClientFactory {
    private final Map<String, String> env;

    public DefaultClientFactory(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public SandboxClient open(ConnectionOptions connection, Console console) {
        String url = connection.url() != null ? connection.url() : env.get("AGENTKERNEL_BASE_URL");
        if (url != null && !url.isBlank()) {
            return new RemoteClient(url, env.get("AGENTKERNEL_API_KEY"));
        }
        return openEmbedded(ConfigFiles.oneShot(ConfigFiles.load(connection.config(), env)), console);
    }

    /** The embedded client with the engine made ready first. */
    public EmbeddedClient openEmbedded(AgentKernelConfig config, Console console) {
        return openEmbedded(config, console, false);
    }

    /**
     * @param serving a long-lived server: temporary sandboxes are removed right after answering instead of before
     *                (see {@link AgentKernel.Builder#destroyInBackground})
     */
    public EmbeddedClient openEmbedded(AgentKernelConfig config, Console console, boolean serving) {
        if (config.sandbox().backend() == null || "docker".equals(config.sandbox().backend())) {
            new EngineSetup(env).ensureReady(console);
        }
        return new EmbeddedClient(KernelFactory.fromConfig(config, InstanceId.current(),
                b -> b.destroyInBackground(serving)).start());
    }
}
