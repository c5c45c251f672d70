package dev.agentkernel.core;

import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The one way to build a kernel from a configuration, used by the server, the CLI, the MCP server and the
 * examples alike: the backend named by {@code [sandbox] backend} (or the only one available) is found with
 * {@link Backends#open}, opened with its own section ({@code [docker]}, {@code [kubernetes]}) as settings
 * ({@link BackendSettings#from}), and wrapped in an {@link AgentKernel} with the configuration.
 */
public final class KernelFactory {
    private KernelFactory() {
    }

    /** A kernel for this process ({@link InstanceId#current()}) whose operator names the images: any registry. */
    public static AgentKernel fromConfig(AgentKernelConfig config) {
        return fromConfig(config, InstanceId.current(), BackendSettings.PULL_ANY, UnaryOperator.identity());
    }

    /**
     * @param instanceId    the owner written on every sandbox this kernel makes
     * @param pullWhenUnset the registries images may be pulled from when the configuration names none
     *                      ({@link BackendSettings#PULL_NONE} where callers the operator does not control name
     *                      the images: the HTTP API, an MCP client)
     * @param tuning        what a caller sets beyond the configuration (e.g. a long-running server's
     *                      {@link AgentKernel.Builder#destroyInBackground}); the backend and config are set already
     */
    public static AgentKernel fromConfig(AgentKernelConfig config, String instanceId, List<String> pullWhenUnset,
                                         UnaryOperator<AgentKernel.Builder> tuning) {
        Backend backend = Backends.open(BackendSettings.from(config, instanceId, pullWhenUnset));
        try {
            return tuning.apply(AgentKernel.builder().backend(backend).config(config)).build();
        } catch (RuntimeException | Error e) {
            backend.close();
            throw e;
        }
    }
}
