package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.agentkernel.mcp.ServerUnderTest.BUSYBOX;
import static dev.agentkernel.mcp.ServerUnderTest.PYTHON;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real server process driven by the MCP SDK's own client over stdio, against the real Docker engine:
 * handshake, tool listing, every tool, bad arguments, and that the server keeps serving after errors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpServerIT {
    private final List<String> serverStderr = Collections.synchronizedList(new ArrayList<>());
    private final List<ProgressNotification> progress = Collections.synchronizedList(new ArrayList<>());
    private final String prefix = "mcp-it-" + UUID.randomUUID().toString().substring(0, 8);
    private ServerUnderTest server;
    private McpSyncClient client;
    private McpSchema.InitializeResult initialized;
    private int containersBefore;

    @BeforeAll
    void startServer() throws Exception {
        server = new ServerUnderTest();
        containersBefore = server.containers().size();
        var transport = new StdioClientTransport(ServerParameters.builder(server.java()).args(server.args()).build(),
                new JacksonMcpJsonMapper(new ObjectMapper()));
        transport.setStdErrorHandler(serverStderr::add);
        client = McpClient.sync(transport)
                .requestTimeout(Duration.ofMinutes(3))
                .initializationTimeout(Duration.ofMinutes(1))
                .progressConsumer(progress::add)
                .build();
        initialized = client.initialize();
    }

    @AfterAll
    void stopServer() throws Exception {
        try {
            if (client != null) {
                client.closeGracefully();
            }
            // Closing stdin stops the server, which closes the kernel: pool and temporary sandboxes go away.
            awaitNoContainers(Duration.ofSeconds(60));
            assertThat(server.containers()).as("containers left with owner %s", server.owner).isEmpty();
            assertThat(containersBefore).isZero();
        } finally {
            server.removeLeftovers();
            if (!serverStderr.isEmpty()) {
                System.err.println("---- MCP server stderr (" + serverStderr.size() + " lines) ----");
                serverStderr.stream().limit(200).forEach(System.err::println);
            }
        }
    }

    private void awaitNoContainers(Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (!server.containers().isEmpty() && System.nanoTime() < end) {
            Thread.sleep(250);
        }
    }

    private CallToolResult call(String tool, Map<String, Object> args) {
        return client.callTool(new CallToolRequest(tool, args));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    private static String text(CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    @Test
    void handshakeNamesTheServerAndOffersTools() {
        assertThat(initialized.serverInfo().name()).isEqualTo("agentkernel");
        assertThat(initialized.capabilities().tools()).isNotNull();
        assertThat(initialized.instructions()).contains("sandbox_run").contains("sandbox_create");
        assertThat(initialized.protocolVersion()).isNotBlank();
    }

    @Test
    void listsTheNineToolsWithValidSchemas() {
        List<McpSchema.Tool> tools = client.listTools().tools();
        assertThat(tools).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder(
                "sandbox_run", "sandbox_create", "sandbox_exec", "sandbox_list", "sandbox_remove",
                "sandbox_file_write", "sandbox_file_read", "sandbox_start", "sandbox_stop", "sandbox_expose_port");
        var validator = new DefaultJsonSchemaValidator();
        for (McpSchema.Tool tool : tools) {
            assertThat(tool.description()).as(tool.name()).isNotBlank();
            assertThat(tool.inputSchema()).as(tool.name()).containsEntry("type", "object")
                    .containsEntry("additionalProperties", false);
            assertThat(validator.validateSchema(tool.inputSchema()).valid()).as(tool.name()).isTrue();
        }
        McpSchema.Tool run = tools.stream().filter(t -> t.name().equals("sandbox_run")).findFirst().orElseThrow();
        assertThat(run.inputSchema().get("required")).isEqualTo(List.of("command"));
    }

    @Test
    void runReportsExitCodeStreamsAndProgress() {
        progress.clear();
        CallToolResult r = client.callTool(CallToolRequest.builder().name("sandbox_run")
                .arguments(Map.of("command", List.of("sh", "-c", "echo out; echo err >&2; exit 3"), "image", BUSYBOX))
                .progressToken("run-1").build());
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("exit_code", 3).containsEntry("stdout", "out\n")
                .containsEntry("stderr", "err\n").containsEntry("timed_out", false).containsEntry("truncated", false)
                .containsEntry("image", BUSYBOX);
        assertThat(text(r)).contains("exit_code: 3").contains("--- stdout ---\nout\n").contains("--- stderr ---\nerr\n");
        assertThat(progress).isNotEmpty().allMatch(p -> "run-1".equals(p.progressToken()));
        assertThat(progress).extracting(ProgressNotification::message).contains("creating", "executing");
    }

    @Test
    void runHonoursEnvCwdTimeoutProfileAndOutputCap() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("sh", "-c", "echo $GREETING; pwd"),
                "env", Map.of("GREETING", "hello"), "cwd", "/tmp", "image", BUSYBOX));
        assertThat(data(r)).containsEntry("stdout", "hello\n/tmp\n").containsEntry("exit_code", 0);

        r = call("sandbox_run", Map.of("command", List.of("sleep", "30"), "timeout_ms", 1000, "image", BUSYBOX));
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("timed_out", true);
        assertThat(((Number) data(r).get("duration_ms")).longValue()).isLessThan(30_000);

        r = call("sandbox_run", Map.of("command", List.of("id", "-u"), "profile", "restrictive", "image", BUSYBOX));
        assertThat(data(r)).containsEntry("stdout", "65534\n");

        r = call("sandbox_run", Map.of("command", List.of("sh", "-c", "yes | head -c 100000"), "max_output_bytes", 1000,
                "image", BUSYBOX));
        assertThat((String) data(r).get("stdout")).hasSize(1000);
        assertThat(data(r)).containsEntry("truncated", true);

        r = call("sandbox_run", Map.of("command", List.of("cat"), "stdin", "piped in", "image", BUSYBOX));
        assertThat(data(r)).containsEntry("stdout", "piped in");
    }

    @Test
    void runInThePythonImage() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("python3", "-c", "import json; print(json.dumps(6*7))"),
                "image", PYTHON, "fast", false));
        assertThat(r.isError()).as(text(r)).isFalse();
        assertThat(data(r)).containsEntry("stdout", "42\n").containsEntry("exit_code", 0);
    }

    @Test
    void namedSandboxThroughEveryTool() {
        String name = prefix + "-work";
        try {
            CallToolResult created = call("sandbox_create", Map.of("name", name, "image", BUSYBOX, "memory_mb", 128));
            assertThat(created.isError()).as(text(created)).isFalse();
            assertThat(data(created)).containsEntry("name", name).containsEntry("status", "running");

            @SuppressWarnings("unchecked")
            List<Map<String, Object>> listed = (List<Map<String, Object>>) data(call("sandbox_list", Map.of())).get("sandboxes");
            assertThat(listed).filteredOn(s -> name.equals(s.get("name"))).singleElement()
                    .satisfies(s -> assertThat(s).containsEntry("status", "running").containsEntry("image", BUSYBOX)
                            .containsEntry("memory_mb", 128));

            CallToolResult written = call("sandbox_file_write", Map.of("name", name, "path", "/tmp/dir/hello.txt",
                    "content", "hello from mcp\n"));
            assertThat(text(written)).isEqualTo("Wrote 15 bytes to /tmp/dir/hello.txt");

            CallToolResult read = call("sandbox_file_read", Map.of("name", name, "path", "/tmp/dir/hello.txt"));
            assertThat(data(read)).containsEntry("content", "hello from mcp\n").containsEntry("encoding", "utf8");

            byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 7};
            call("sandbox_file_write", Map.of("name", name, "path", "/tmp/bin", "encoding", "base64",
                    "content", Base64.getEncoder().encodeToString(binary)));
            assertThat(data(call("sandbox_file_read", Map.of("name", name, "path", "/tmp/bin"))))
                    .containsEntry("encoding", "base64").containsEntry("content", Base64.getEncoder().encodeToString(binary));

            CallToolResult exec = call("sandbox_exec", Map.of("name", name, "command", List.of("sh", "-c", "cat hello.txt; echo $X"),
                    "workdir", "/tmp/dir", "env", Map.of("X", "42")));
            assertThat(data(exec)).containsEntry("stdout", "hello from mcp\n42\n").containsEntry("exit_code", 0);

            assertThat(data(call("sandbox_stop", Map.of("name", name)))).containsEntry("status", "stopped");
            CallToolResult onStopped = call("sandbox_exec", Map.of("name", name, "command", List.of("true")));
            assertThat(onStopped.isError()).isTrue();
            assertThat(data(onStopped)).containsEntry("code", "conflict");

            assertThat(data(call("sandbox_start", Map.of("name", name)))).containsEntry("status", "running");
            assertThat(data(call("sandbox_exec", Map.of("name", name, "command", List.of("cat", "/tmp/dir/hello.txt")))))
                    .containsEntry("stdout", "hello from mcp\n");

            CallToolResult dup = call("sandbox_create", Map.of("name", name, "image", BUSYBOX));
            assertThat(dup.isError()).isTrue();
            assertThat(data(dup)).containsEntry("code", "conflict");

            assertThat(text(call("sandbox_remove", Map.of("name", name)))).isEqualTo("Removed sandbox '" + name + "'");
            CallToolResult gone = call("sandbox_remove", Map.of("name", name));
            assertThat(gone.isError()).isTrue();
            assertThat(text(gone)).contains("Sandbox '" + name + "' not found");
        } finally {
            call("sandbox_remove", Map.of("name", name));
        }
    }

    @Test
    void badArgumentsAreErrorResultsAndTheServerKeepsServing() {
        List<Map<String, Object>> bad = List.of(
                Map.of(),                                                        // command missing
                Map.of("command", "echo hi"),                                    // not an array
                Map.of("command", List.of()),                                    // empty
                Map.of("command", List.of("true"), "profile", "root"),           // not in the enum
                Map.of("command", List.of("true"), "vcpus", 0),                  // out of bounds
                Map.of("command", List.of("true"), "timeout_ms", -5),
                Map.of("command", List.of("true"), "surprise", true));           // undeclared
        for (Map<String, Object> args : bad) {
            CallToolResult r = call("sandbox_run", args);
            assertThat(r.isError()).as("sandbox_run %s", args).isTrue();
            assertThat(text(r)).as("sandbox_run %s", args).isNotBlank();
        }
        CallToolResult r = call("sandbox_exec", Map.of("name", prefix + "-missing", "command", List.of("true")));
        assertThat(r.isError()).isTrue();
        assertThat(text(r)).contains("not found");
        r = call("sandbox_file_read", Map.of("name", prefix + "-missing", "path", "/../etc/passwd"));
        assertThat(r.isError()).isTrue();
        r = call("sandbox_create", Map.of("name", "../escape"));
        assertThat(r.isError()).isTrue();

        // Still serving: a good call after all of that.
        client.ping();
        CallToolResult ok = call("sandbox_run", Map.of("command", List.of("echo", "alive"), "image", BUSYBOX));
        assertThat(data(ok)).containsEntry("stdout", "alive\n");
    }

    @Test
    void serverLogsGoToStderr() {
        // StdoutHygieneIT proves that stdout carries protocol messages only; here: the logs did arrive, on stderr.
        assertThat(serverStderr).anyMatch(l -> l.contains("MCP server on stdio ready"));
    }
}
