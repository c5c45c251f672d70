package dev.agentkernel.cli.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.mcp.ServerLaunch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code agentkernel mcp config} and {@code mcp-server --help}. */
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

    /** The server it would configure refuses --backend with --url: so does the snippet, instead of writing it. */
    @Test
    void backendWithUrlIsAUsageError() {
        CliHarness.Result r = cli.run("--url", "http://127.0.0.1:9", "--backend", "kubernetes", "mcp", "config");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--backend").contains("--url");
        assertThat(r.out()).isEmpty();
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
}
