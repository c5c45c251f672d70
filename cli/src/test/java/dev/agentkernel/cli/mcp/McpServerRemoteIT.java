package dev.agentkernel.cli.mcp;

import dev.agentkernel.testkit.EngineView;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code agentkernel mcp-server --url}: the tools act on a running agentkernel server (started here, in this JVM,
 * on a free loopback port, over the real Docker engine). Every container carries this JVM's owner label.
 */
class McpServerRemoteIT {
    private static final String BUSYBOX = "agentkernel/busybox:local";

    @TempDir
    Path home;

    @Test
    void theToolsWorkAgainstARunningServer() throws Exception {
        assertThat(EngineView.containersOf(InstanceId.current())).as("containers of this JVM before").isEmpty();
        AgentKernelConfig config = ConfigLoader.defaults(home).withPool(new AgentKernelConfig.Pool(0, 0));
        AgentKernel kernel = AgentKernel.builder()
                .backend(Backends.open(new BackendSettings(null, InstanceId.current(), Map.of()))).config(config).build();
        AgentKernelServer server = AgentKernelServer.start(kernel,
                ServerOptions.from(config, null).withHost("127.0.0.1").withPort(0));
        String url = "http://127.0.0.1:" + server.port();
        String name = "mcp-rit-" + UUID.randomUUID().toString().substring(0, 8);
        Path jar = Path.of("target", "agentkernel.jar").toAbsolutePath();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var transport = new StdioClientTransport(ServerParameters.builder(java)
                .args("-jar", jar.toString(), "mcp-server", "--url", url)
                .addEnvVar("HOME", home.toString())
                .build(), new JacksonMcpJsonMapper(new ObjectMapper()));
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofMinutes(3))
                .initializationTimeout(Duration.ofMinutes(1)).build();
        List<String> left;
        try {
            McpSchema.InitializeResult init = client.initialize();
            assertThat(init.instructions()).contains(url);

            CallToolResult run = client.callTool(new CallToolRequest("sandbox_run",
                    Map.of("command", List.of("sh", "-c", "echo $A; exit 4"), "env", Map.of("A", "remote"),
                            "image", BUSYBOX)));
            assertThat(run.isError()).as(run.toString()).isFalse();
            assertThat(data(run)).containsEntry("exit_code", 4).containsEntry("stdout", "remote\n");

            CallToolResult created = client.callTool(new CallToolRequest("sandbox_create",
                    Map.of("name", name, "image", BUSYBOX)));
            assertThat(created.isError()).as(created.toString()).isFalse();
            assertThat(EngineView.containersOf(InstanceId.current())).as("the server (this JVM) made the sandbox").hasSize(1);
            client.callTool(new CallToolRequest("sandbox_file_write",
                    Map.of("name", name, "path", "/tmp/x.txt", "content", "over http")));
            assertThat(data(client.callTool(new CallToolRequest("sandbox_file_read",
                    Map.of("name", name, "path", "/tmp/x.txt"))))).containsEntry("content", "over http");
            assertThat(data(client.callTool(new CallToolRequest("sandbox_exec",
                    Map.of("name", name, "command", List.of("cat", "x.txt"), "workdir", "/tmp")))))
                    .containsEntry("stdout", "over http");

            CallToolResult exposed = client.callTool(new CallToolRequest("sandbox_expose_port",
                    Map.of("name", name, "port", 8000, "url_ttl_seconds", 600)));
            assertThat(exposed.isError()).as(exposed.toString()).isFalse();
            assertThat(data(exposed)).containsEntry("port", 8000).containsKeys("exposed_at", "expires_at");
            assertThat((String) data(exposed).get("url")).as("the server signed a browser URL")
                    .startsWith("http://8000-" + name + ".localhost:" + server.port() + "/?agentkernel_token=");

            CallToolResult missing = client.callTool(new CallToolRequest("sandbox_stop", Map.of("name", name + "-nope")));
            assertThat(missing.isError()).isTrue();
            assertThat(data(missing)).containsEntry("code", "not_found");

            assertThat(client.callTool(new CallToolRequest("sandbox_remove", Map.of("name", name))).isError()).isFalse();
            assertThat(EngineView.containersOf(InstanceId.current())).isEmpty();
        } finally {
            client.closeGracefully();
            server.close();
            kernel.close();
            left = EngineView.containersOf(InstanceId.current());
            EngineView.removeAllOf(InstanceId.current());
        }
        // After the body, so that a failure in the body is the one reported.
        assertThat(left).as("containers left").isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }
}
