package dev.agentkernel.core;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.ApiContractTest;

/** The contract of {@link Sandboxes} on the in-process kernel. */
class EmbeddedApiContractTest extends ApiContractTest {
    @Override
    protected Sandboxes open(AgentKernelConfig config, Backend backend) {
        return AgentKernel.builder().backend(backend).config(config).build();
    }
}
