package dev.agentkernel.core;

import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.function.UnaryOperator;

/**
 * The one way to build a kernel from a configuration, used by the server, the CLI, the MCP server and the
 * examples alike: the backend named by {@code [sandbox] backend} (or the only one available) is found with
 * {@link Backends#open}, opened with its own {@code [backends.ID]} section as settings, and wrapped in an
 * {@link AgentKernel} with the configuration.
 */
public final class KernelFactory {
    private KernelFactory() {
    }

    /** A kernel for this process ({@link InstanceId#current()}). */
    public static AgentKernel fromConfig(AgentKernelConfig config) {
        return fromConfig(config, InstanceId.current(), UnaryOperator.identity());
    }

    /**
     * @param instanceId the owner written on every sandbox this kernel makes
     * @param tuning     what a caller sets beyond the configuration (e.g. a long-running server's
     *                   {@link AgentKernel.Builder#destroyInBackground}); the backend and config are set already
     */
    public static AgentKernel fromConfig(AgentKernelConfig config, String instanceId,
                                         UnaryOperator<AgentKernel.Builder> tuning) {
        Backend backend = Backends.open(BackendSettings.fromConfig(config, instanceId));
        try {
            return tuning.apply(AgentKernel.builder().backend(backend).config(config)).build();
        } catch (RuntimeException | Error e) {
            backend.close();
            throw e;
        }
    }
}
