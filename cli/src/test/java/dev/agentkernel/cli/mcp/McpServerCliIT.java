package dev.agentkernel.cli.mcp;

import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.TestOwners;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code java -jar agentkernel.jar mcp-server} (the jar the launcher runs), driven by the MCP SDK's client over
 * stdio against the real engine. Its containers are found by the owner label the child process writes
 * ({@code host/pid/nonce}), counted before and after, and removed if anything is left.
 */
class McpServerCliIT {
    private static final String BUSYBOX = "agentkernel/busybox:local";

    @Test
    void theCliServesTheToolsOnTheRealEngine() throws Exception {
        Path jar = Path.of("target", "agentkernel.jar").toAbsolutePath();
        assertThat(jar).as("the shaded CLI jar (built in package)").exists();
        Path home = Files.createTempDirectory("agentkernel-cli-mcp-it-");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        var transport = new StdioClientTransport(ServerParameters.builder(java)
                .args("-jar", jar.toString(), "mcp-server", "--max-output-bytes", "2000")
                .addEnvVar("HOME", home.toString())
                .build(), new JacksonMcpJsonMapper(new ObjectMapper()));
        transport.setStdErrorHandler(stderr::add);
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofMinutes(3))
                .initializationTimeout(Duration.ofMinutes(1)).build();
        String ownerPrefix = null;
        List<String> left = List.of();
        String name = "mcp-cli-it-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            McpSchema.InitializeResult init = client.initialize();
            assertThat(init.serverInfo().name()).isEqualTo("agentkernel");
            long pid = childPid(jar);
            ownerPrefix = TestOwners.hostName() + "/" + pid + "/";
            // A new process: nothing of its own can exist before it; its warm pool may already be filling.
            assertThat(EngineView.describeOwnedByPrefix(ownerPrefix)).as("containers before the first call").noneMatch(c -> c.contains(" named "));

            assertThat(client.listTools().tools()).extracting(t -> t.name()).hasSize(10).contains("sandbox_expose_port");

            CallToolResult run = client.callTool(new CallToolRequest("sandbox_run",
                    Map.of("command", List.of("sh", "-c", "yes | head -c 5000; echo done >&2"), "image", BUSYBOX)));
            assertThat(run.isError()).as(run.toString()).isFalse();
            assertThat(data(run)).containsEntry("exit_code", 0).containsEntry("stderr", "done\n")
                    .containsEntry("truncated", true);
            assertThat((String) data(run).get("stdout")).hasSize(2000);

            CallToolResult created = client.callTool(new CallToolRequest("sandbox_create",
                    Map.of("name", name, "image", BUSYBOX)));
            assertThat(created.isError()).as(created.toString()).isFalse();
            assertThat(EngineView.describeOwnedByPrefix(ownerPrefix)).as("the named sandbox carries the server's owner label")
                    .filteredOn(c -> c.contains(" named ")).singleElement().asString().contains("agentkernel-" + name);
            CallToolResult exec = client.callTool(new CallToolRequest("sandbox_exec",
                    Map.of("name", name, "command", List.of("pwd"), "cwd", "/tmp")));
            assertThat(data(exec)).containsEntry("stdout", "/tmp\n");
            CallToolResult bad = client.callTool(new CallToolRequest("sandbox_exec", Map.of("name", name)));
            assertThat(bad.isError()).isTrue();
            assertThat(((McpSchema.TextContent) bad.content().get(0)).text()).contains("'command' is required");
            assertThat(client.callTool(new CallToolRequest("sandbox_remove", Map.of("name", name))).isError()).isFalse();
        } finally {
            client.closeGracefully();
            if (ownerPrefix != null) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!EngineView.describeOwnedByPrefix(ownerPrefix).isEmpty() && System.nanoTime() < end) {
                    Thread.sleep(250);
                }
                left = EngineView.describeOwnedByPrefix(ownerPrefix);
                EngineView.remove(left.stream().map(c -> c.split(" ")[0]).toList());
            }
            if (!stderr.isEmpty()) {
                System.err.println("---- mcp-server stderr ----");
                stderr.stream().limit(100).forEach(System.err::println);
            }
        }
        // Checked after the body, so that a failure in the body is the one reported.
        assertThat(left).as("containers left by the server").isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    /** The pid of the server JVM this test started (a child running our jar). */
    private static long childPid(Path jar) {
        return ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().map(c -> c.contains(jar.toString())).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst()
                .orElseThrow(() -> new AssertionError("server process not found"));
    }
}
