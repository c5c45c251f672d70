package dev.agentkernel.client;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.ApiContractTest;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;

/**
 * The contract of {@link Sandboxes} on {@link AgentKernelClient} talking to a real server (in-process, on a free
 * loopback port) over the same kernel the embedded run uses: every operation must give what it gives in process.
 */
class RemoteApiContractTest extends ApiContractTest {
    private AgentKernel kernel;
    private AgentKernelServer server;

    @Override
    protected Sandboxes open(AgentKernelConfig config, Backend backend) {
        kernel = AgentKernel.builder().backend(backend).config(config).build();
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, null).withHost("127.0.0.1").withPort(0));
        return AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).build();
    }

    @Override
    protected void closeFixture() {
        try {
            server.close();
        } finally {
            kernel.close();
        }
    }
}
