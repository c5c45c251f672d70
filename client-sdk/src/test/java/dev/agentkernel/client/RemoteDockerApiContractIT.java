package dev.agentkernel.client;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;

/** The contract of {@code Sandboxes} on the real Docker engine through a real server and {@link AgentKernelClient}. */
class RemoteDockerApiContractIT extends DockerApiContractIT {
    private AgentKernel kernel;
    private AgentKernelServer server;

    @Override
    protected Sandboxes open(AgentKernelConfig config, Backend backend) {
        kernel = kernel(config, backend);
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, null).withHost("127.0.0.1").withPort(0));
        return AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).build();
    }

    @Override
    protected void closeFixture() {
        try {
            server.close();
        } finally {
            kernel.close();
            super.closeFixture();
        }
    }
}
