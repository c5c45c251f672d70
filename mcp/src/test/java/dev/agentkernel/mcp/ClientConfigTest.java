package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientConfigTest {
    private static final ServerLaunch LAUNCH = new ServerLaunch("/opt/agent kernel/agentkernel",
            List.of("mcp-server"), Map.of("AGENTKERNEL_LOG", "warn"));

    @Test
    void claudeAndGeminiGetAnMcpServersObject() throws Exception {
        for (ClientConfig client : List.of(ClientConfig.CLAUDE, ClientConfig.GEMINI)) {
            JsonNode server = new ObjectMapper().readTree(client.render("agentkernel", LAUNCH))
                    .path("mcpServers").path("agentkernel");
            assertThat(server.path("command").asText()).isEqualTo("/opt/agent kernel/agentkernel");
            assertThat(server.path("args").get(0).asText()).isEqualTo("mcp-server");
            assertThat(server.path("env").path("AGENTKERNEL_LOG").asText()).isEqualTo("warn");
        }
    }

    @Test
    void codexGetsValidTomlUnderMcpServers() throws Exception {
        String toml = ClientConfig.CODEX.render("agentkernel", new ServerLaunch("C:\\tools\\\"ak\"",
                List.of("mcp-server"), Map.of("K", "v")));
        JsonNode server = new TomlMapper().readTree(toml).path("mcp_servers").path("agentkernel");
        assertThat(server.path("command").asText()).isEqualTo("C:\\tools\\\"ak\"");
        assertThat(server.path("args").get(0).asText()).isEqualTo("mcp-server");
        assertThat(server.path("env").path("K").asText()).isEqualTo("v");
    }

    @Test
    void genericIsTheBareLaunch() throws Exception {
        JsonNode n = new ObjectMapper().readTree(ClientConfig.GENERIC.render("x", LAUNCH));
        assertThat(n.path("command").asText()).isEqualTo(LAUNCH.command());
        assertThat(n.has("mcpServers")).isFalse();
    }

    @Test
    void unknownClientListsTheKnownOnes() {
        assertThatThrownBy(() -> ClientConfig.fromWire("cursor"))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("claude, codex, gemini, generic");
    }

    @Test
    void launchUsesTheLauncherWhenKnownElseJava(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path launcher = Files.createFile(dir.resolve("agentkernel"));
        ServerLaunch viaLauncher = ServerLaunch.detect(launcher.toString(), Main.class, List.of("mcp-server"));
        assertThat(viaLauncher.command()).isEqualTo(launcher.toAbsolutePath().toString());
        assertThat(viaLauncher.args()).containsExactly("mcp-server");

        ServerLaunch viaJava = ServerLaunch.detect(null, Main.class, List.of("mcp-server"));
        assertThat(Path.of(viaJava.command())).isAbsolute();
        assertThat(viaJava.command()).endsWith("java");
        // Running from target/classes: a class path launch of the standalone main.
        assertThat(viaJava.args()).contains(Main.class.getName()).endsWith("mcp-server");
    }
}
