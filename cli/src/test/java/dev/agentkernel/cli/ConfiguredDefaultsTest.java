package dev.agentkernel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.core.testing.FakeBackendProvider;
import dev.agentkernel.mcp.ProgressSink;
import dev.agentkernel.mcp.SandboxTools;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code [sandbox] profile = "restrictive"} and {@code [resources]} in the configuration, {@code agentkernel
 * create} and {@code agentkernel mcp-server}'s {@code sandbox_create} make sandboxes with them, embedded and against
 * a server, through the CLI's real wiring (configuration file, {@link DefaultClientFactory}, the front ends' one
 * factory, {@code KernelFactory}, the backend chosen by id) on the in-memory engine of {@link FakeBackendProvider}.
 * Before the kernel resolved these defaults, both front ends made moderate 1-vCPU/512 MB sandboxes.
 */
class ConfiguredDefaultsTest {
    @TempDir
    Path tmp;

    /** The fake provider's engine a configuration names no other of: shared by this JVM, so names are unique. */
    private final FakeBackend engine = FakeBackendProvider.engine("default");
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);

    /** The configuration file of the embedded cases. */
    private Path configFile() throws Exception {
        return Files.writeString(tmp.resolve("agentkernel.toml"), """
                [sandbox]
                backend = "fake"
                profile = "restrictive"
                [resources]
                vcpus = 2
                memory_mb = 256
                [audit]
                path = "%s"
                """.formatted(tmp.resolve("audit.jsonl")));
    }

    private static void assertConfigured(SandboxInfo info) {
        assertThat(info.profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(info.vcpus()).isEqualTo(2);
        assertThat(info.memoryMb()).isEqualTo(256);
    }

    private static void assertConfigured(JsonNode sandbox) {
        assertThat(sandbox.path("profile").asText()).as(sandbox.toString()).isEqualTo("restrictive");
        assertThat(sandbox.path("vcpus").asInt()).isEqualTo(2);
        assertThat(sandbox.path("memory_mb").asInt()).isEqualTo(256);
    }

    @Test
    void createEmbedded() throws Exception {
        Map<String, String> env = Map.of("HOME", tmp.toString());
        CliHarness cli = new CliHarness(new DefaultClientFactory(env), env);
        String box = "box-" + suffix;
        CliHarness.Result r = cli.run("--config", configFile().toString(), "create", box, "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertConfigured(Json.MAPPER.readTree(r.out()));
        assertConfigured(engine.inspect(box).orElseThrow());
    }

    @Test
    void theBackendOptionOverridesTheConfiguredBackend() throws Exception {
        // The file names Docker; --backend (before or after the command) picks the fake engine instead.
        Path file = Files.writeString(tmp.resolve("docker.toml"), Files.readString(configFile())
                .replace("backend = \"fake\"", "backend = \"docker\""));
        Map<String, String> env = Map.of("HOME", tmp.toString());
        CliHarness cli = new CliHarness(new DefaultClientFactory(env), env);
        CliHarness.Result r = cli.run("--backend", "fake", "--config", file.toString(), "create", "opt-" + suffix);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertConfigured(engine.inspect("opt-" + suffix).orElseThrow());
        CliHarness.Result after = cli.run("--config", file.toString(), "create", "opt2-" + suffix, "--backend", "fake");
        assertThat(after.exitCode()).as(after.toString()).isZero();
        assertThat(engine.inspect("opt2-" + suffix)).isPresent();
        CliHarness.Result unknown = cli.run("--backend", "nope", "--config", file.toString(), "create", "x-" + suffix);
        assertThat(unknown.exitCode()).as(unknown.toString()).isNotZero();
        assertThat(unknown.err()).contains("nope");
    }

    @Test
    void mcpServerCreateEmbedded() throws Exception {
        Map<String, String> env = Map.of("HOME", tmp.toString());
        ConnectionOptions connection = new ConnectionOptions();
        connection.config = configFile();
        // What `agentkernel mcp-server` serves its tools on (it then only adds the stdio protocol).
        try (Sandboxes sandboxes = new DefaultClientFactory(env).openLongRunning(connection, console())) {
            CallToolResult created = new SandboxTools(sandboxes, 1024).call("sandbox_create",
                    Map.of("name", "agent-box-" + suffix), ProgressSink.NONE);
            assertThat(created.isError()).as(created.toString()).isFalse();
            assertConfigured(Json.MAPPER.valueToTree(created.structuredContent()));
        }
        assertConfigured(engine.inspect("agent-box-" + suffix).orElseThrow());
    }

    @Test
    void createAndMcpCreateAgainstAServerGetTheServersDefaults() throws Exception {
        FakeBackend fake = new FakeBackend();
        AgentKernelConfig d = AgentKernelConfig.forTests(tmp.resolve("server-audit.jsonl"));
        AgentKernelConfig serverConfig = d.withSandbox(new AgentKernelConfig.Sandbox(d.sandbox().image(),
                SecurityProfile.RESTRICTIVE, null)).withResources(new AgentKernelConfig.Resources(2, 256));
        try (AgentKernel kernel = AgentKernel.builder().backend(fake).config(serverConfig).build();
             AgentKernelServer server = AgentKernelServer.start(kernel,
                     ServerOptions.from(serverConfig, null).withHost("127.0.0.1").withPort(0))) {
            String url = "http://127.0.0.1:" + server.port();
            // The CLI's own configuration (none here: the built-in moderate defaults) has no say remotely.
            Map<String, String> env = Map.of("HOME", tmp.toString(), "AGENTKERNEL_BASE_URL", url);
            CliHarness cli = new CliHarness(new DefaultClientFactory(env), env);

            CliHarness.Result r = cli.run("create", "remote-box", "--json", "-e", "GREETING=hi");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertConfigured(Json.MAPPER.readTree(r.out()));
            assertConfigured(fake.inspect("remote-box").orElseThrow());
            // create -e works remotely: the sandbox was made with the variable (the audit log names its key).
            JsonNode logs = Json.MAPPER.readTree(cli.run("logs", "remote-box", "--json").out());
            assertThat(logs.get(0).path("event").asText()).isEqualTo("sandbox_created");
            assertThat(logs.get(0).path("env_keys").toString()).isEqualTo("[\"GREETING\"]");

            try (Sandboxes sandboxes = new DefaultClientFactory(env).openLongRunning(new ConnectionOptions(),
                    console())) {
                CallToolResult created = new SandboxTools(sandboxes, 1024).call("sandbox_create",
                        Map.of("name", "remote-agent-box"), ProgressSink.NONE);
                assertThat(created.isError()).as(created.toString()).isFalse();
                assertConfigured(Json.MAPPER.valueToTree(created.structuredContent()));
            }
            assertConfigured(fake.inspect("remote-agent-box").orElseThrow());
        }
    }

    private static Console console() {
        return new Console(AgentKernelCli.create(), false);
    }
}
