package dev.agentkernel.cli.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.cli.EmbeddedClient;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.mcp.ProgressSink;
import dev.agentkernel.mcp.SandboxTools;
import dev.agentkernel.mcp.ServerLaunch;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code agentkernel mcp config} and the MCP tools over the CLI's own client (in-memory fake backend). */
class McpCommandsTest {
    @TempDir
    Path tmp;

    private final CliHarness cli = new CliHarness((connection, console) -> {
        throw new AssertionError("mcp config must not open a client");
    });

    @Test
    void claudeSnippetStartsThisInstallationsServer() throws Exception {
        CliHarness.Result r = cli.run("mcp", "config", "--client", "claude");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode server = new ObjectMapper().readTree(r.out()).path("mcpServers").path("agentkernel");
        assertThat(Path.of(server.path("command").asText())).isAbsolute();
        List<String> args = new ObjectMapper().convertValue(server.path("args"), List.class);
        assertThat(args).last().isEqualTo("mcp-server");
        assertThat(r.err()).contains(".mcp.json");
    }

    @Test
    void theLauncherIsNamedWhenItStartedUs() throws Exception {
        Path launcher = Files.createFile(tmp.resolve("agentkernel"));
        String before = System.getProperty(ServerLaunch.LAUNCHER_PROPERTY);
        System.setProperty(ServerLaunch.LAUNCHER_PROPERTY, launcher.toString());
        try {
            CliHarness.Result r = cli.run("mcp", "config", "--client", "gemini", "--name", "sandboxes",
                    "--config", "conf/agentkernel.toml");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            JsonNode server = new ObjectMapper().readTree(r.out()).path("mcpServers").path("sandboxes");
            assertThat(server.path("command").asText()).isEqualTo(launcher.toAbsolutePath().toString());
            assertThat(server.path("args").get(0).asText()).isEqualTo("mcp-server");
            assertThat(server.path("args").get(1).asText()).isEqualTo("--config");
            String config = server.path("args").get(2).asText();
            assertThat(Path.of(config).isAbsolute()).isTrue();
            assertThat(config).endsWith("/conf/agentkernel.toml");
            assertThat(server.path("env").path("JAVA_HOME").asText()).isEqualTo(System.getProperty("java.home"));
        } finally {
            if (before == null) {
                System.clearProperty(ServerLaunch.LAUNCHER_PROPERTY);
            } else {
                System.setProperty(ServerLaunch.LAUNCHER_PROPERTY, before);
            }
        }
    }

    @Test
    void codexSnippetIsTomlWithTheUrl() throws Exception {
        CliHarness.Result r = cli.run("mcp", "config", "--client", "codex", "--url", "http://127.0.0.1:18888");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode server = new TomlMapper().readTree(r.out()).path("mcp_servers").path("agentkernel");
        assertThat(server.path("args").toString()).endsWith("\"mcp-server\",\"--url\",\"http://127.0.0.1:18888\"]");
        assertThat(r.err()).contains("config.toml").contains("AGENTKERNEL_API_KEY");
    }

    @Test
    void unknownClientIsAUsageError() {
        CliHarness.Result r = cli.run("mcp", "config", "--client", "cursor");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("claude, codex, gemini, generic");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void urlAndConfigAlsoWorkBeforeTheSubcommand() {
        CliHarness.Result r = cli.run("--url", "http://127.0.0.1:9", "mcp", "config");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("\"--url\"").contains("\"http://127.0.0.1:9\"");
    }

    @Test
    void mcpWithoutASubcommandIsAUsageError() {
        CliHarness.Result r = cli.run("mcp");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("config");
    }

    @Test
    void serverHelpNamesTheTools() {
        CliHarness.Result r = cli.run("mcp-server", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("sandbox_run").contains("--url").contains("--max-output-bytes");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    @Test
    void toolsWorkOverTheCliClient() {
        FakeBackend fake = new FakeBackend();
        AgentKernel kernel = AgentKernel.builder().backend(fake)
                .config(AgentKernelConfig.forTests(tmp.resolve("audit.jsonl"))).build();
        try (ClientSandboxes ops = new ClientSandboxes(new EmbeddedClient(kernel))) {
            SandboxTools tools = new SandboxTools(ops, 1024);
            CallToolResult run = tools.call("sandbox_run", Map.of("command", List.of("echo", "hi")), ProgressSink.NONE);
            assertThat(run.isError()).isFalse();
            assertThat(data(run)).containsEntry("stdout", "hi\n").containsEntry("exit_code", 0);

            CallToolResult created = tools.call("sandbox_create", Map.of("name", "box", "memory_mb", 64), ProgressSink.NONE);
            assertThat(data(created)).containsEntry("memory_mb", 64).containsEntry("vcpus", 1);
            tools.call("sandbox_file_write", Map.of("name", "box", "path", "/w/f", "content", "data"), ProgressSink.NONE);
            CallToolResult cat = tools.call("sandbox_exec", Map.of("name", "box", "command", List.of("cat", "/w/f")),
                    ProgressSink.NONE);
            assertThat(data(cat)).containsEntry("stdout", "data");
            assertThat(tools.call("sandbox_remove", Map.of("name", "box"), ProgressSink.NONE).isError()).isFalse();
            assertThat(fake.names()).isEmpty();
        }
    }
}
