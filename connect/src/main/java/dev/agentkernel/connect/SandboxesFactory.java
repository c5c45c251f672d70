package dev.agentkernel.connect;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.function.Consumer;

/**
 * The one place the front ends get their {@link Sandboxes} from: for an {@link Target.Embedded} target the kernel
 * {@link KernelFactory} builds from the configuration (started, so the reconcile and the warm pool happen before
 * the first command), for a {@link Target.Remote} one the HTTP client of that server. Whatever the target, the
 * caller sees the same interface with the same results and errors.
 */
public final class SandboxesFactory {
    private final Consumer<AgentKernelConfig> beforeEmbedded;

    /** A factory that opens embedded kernels as they are. */
    public SandboxesFactory() {
        this(config -> { });
    }

    /**
     * @param beforeEmbedded runs before an embedded kernel is built, e.g. the CLI's engine setup (start the Docker
     *                       engine, build the local images); a failure there is the failure of {@link #open}
     */
    public SandboxesFactory(Consumer<AgentKernelConfig> beforeEmbedded) {
        this.beforeEmbedded = beforeEmbedded;
    }

    public Sandboxes open(Target target) {
        if (target instanceof Target.Remote remote) {
            try {
                return AgentKernelClient.builder().baseUrl(remote.url()).apiKey(remote.apiKey()).build();
            } catch (IllegalArgumentException e) {
                throw new AgentKernelException.InvalidRequestException("Invalid server URL '" + remote.url() + "': "
                        + e.getMessage());
            }
        }
        Target.Embedded embedded = (Target.Embedded) target;
        beforeEmbedded.accept(embedded.config());
        var kernel = KernelFactory.fromConfig(embedded.config(), embedded.instanceId(), embedded.pullWhenUnset(),
                b -> b);
        try {
            return kernel.start();
        } catch (RuntimeException e) {
            kernel.close();
            throw e;
        }
    }

    /**
     * Sandboxes opened on first use, with the opening begun now in the background (see {@link LazySandboxes}): a
     * server such as the MCP one answers its handshake at once, and an engine that is down is an error of each
     * call (tried again on the next) rather than a server that never starts.
     */
    public Sandboxes openLazily(Target target) {
        return new LazySandboxes(() -> open(target)).openInBackground();
    }
}
