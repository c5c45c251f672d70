package dev.agentkernel.server.logging;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;

import java.nio.file.Path;
import java.util.Map;

/** A server on the fake backend in its own JVM with the JSON log format; prints its port, stops at end of stdin. */
public final class JsonLogChild {
    private JsonLogChild() {
    }

    public static void main(String[] args) throws Exception {
        LogFormat.configure(Map.of(LogFormat.ENV, "json"));
        AgentKernelConfig config = AgentKernelConfig.forTests(Path.of(args[0]));
        try (AgentKernel kernel = AgentKernel.builder().backend(new FakeBackend()).config(config).build().start();
             AgentKernelServer server = AgentKernelServer.start(kernel, ServerOptions.from(config, null).withPort(0))) {
            System.out.println("port=" + server.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the parent closes stdin
            }
        }
    }
}
