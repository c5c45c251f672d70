package dev.agentkernel.mcp;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.agentkernel.mcp.ToolSchemasTest.text;
import static org.assertj.core.api.Assertions.assertThat;

/** The tool handlers on a real {@link AgentKernel} over the in-memory {@link FakeBackend}. */
class SandboxToolsTest {
    @TempDir
    Path dir;

    private FakeBackend backend;
    private AgentKernel ops;
    private SandboxTools tools;

    @BeforeEach
    void setUp() {
        backend = new FakeBackend();
        AgentKernelConfig config = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"));
        // The engine's own cap (above the tools' 1024) keeps the output floods of these tests small.
        config = config.withLimits(new AgentKernelConfig.Limits(config.limits().timeout(), 64 * 1024,
                config.limits().maxFileBytes(), config.limits().maxConcurrentRuns()));
        ops = AgentKernel.builder().backend(backend).config(config).build();
        tools = new SandboxTools(ops, 1024);
    }

    @AfterEach
    void tearDown() {
        ops.close();
    }

    private CallToolResult call(String tool, Map<String, Object> args) {
        return tools.call(tool, args, ProgressSink.NONE);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    @Test
    void runReturnsExitCodeStreamsAndFlagsAndRemovesTheSandbox() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("echo", "hello", "world")));
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("exit_code", 0).containsEntry("stdout", "hello world\n")
                .containsEntry("stderr", "").containsEntry("timed_out", false).containsEntry("truncated", false)
                .containsKeys("sandbox", "duration_ms", "image");
        assertThat(text(r)).startsWith("image: ").contains("exit_code: 0\n--- stdout ---\nhello world\n");
        assertThat(backend.names()).isEmpty();
    }

    @Test
    void aNonZeroExitIsANormalResultWithStderr() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("sh", "-c", "echo oops >&2")));
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("stderr", "oops\n");
        r = call("sandbox_run", Map.of("command", List.of("sh", "-c", "exit 3")));
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("exit_code", 3);
        assertThat(text(r)).startsWith("image: ").contains("exit_code: 3").contains("(no output)");
    }

    @Test
    void envWorkdirAliasAndStdinReachTheCommand() {
        assertThat(data(call("sandbox_run", Map.of("command", List.of("printenv", "GREETING"),
                "env", Map.of("GREETING", "hi"))))).containsEntry("stdout", "hi\n");
        assertThat(data(call("sandbox_run", Map.of("command", List.of("pwd"), "cwd", "/tmp"))))
                .containsEntry("stdout", "/tmp\n");
        assertThat(data(call("sandbox_run", Map.of("command", List.of("pwd"), "workdir", "/srv/app"))))
                .containsEntry("stdout", "/srv/app\n");
        assertThat(data(call("sandbox_run", Map.of("command", List.of("cat"), "stdin", "from stdin"))))
                .containsEntry("stdout", "from stdin");
    }

    @Test
    void timeoutKillsAndSaysSo() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("sleep", "30"), "timeout_ms", 50));
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("timed_out", true);
        assertThat(text(r)).contains("timed out after");
    }

    @Test
    void outputIsCappedPerCallAndByTheServerLimit() {
        CallToolResult r = call("sandbox_run", Map.of("command", List.of("yes"), "max_output_bytes", 10));
        assertThat(data(r)).containsEntry("stdout", "y\ny\ny\ny\ny\n").containsEntry("truncated", true);
        assertThat(text(r)).contains("[output truncated");

        // Without max_output_bytes the server limit (1024 here) holds, for run and for exec.
        r = call("sandbox_run", Map.of("command", List.of("yes")));
        assertThat((String) data(r).get("stdout")).hasSize(1024);
        call("sandbox_create", Map.of("name", "flood"));
        r = call("sandbox_exec", Map.of("name", "flood", "command", List.of("yes")));
        assertThat((String) data(r).get("stdout")).hasSize(1024);
        assertThat(data(r)).containsEntry("truncated", true);
    }

    @Test
    void progressIsReportedForRunsAndExecs() {
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        tools.call("sandbox_run", Map.of("command", List.of("echo", "x")), progress::add);
        assertThat(progress).contains("creating", "executing").anyMatch(p -> p.startsWith("sandbox run-"));

        progress.clear();
        call("sandbox_create", Map.of("name", "p1"));
        tools.call("sandbox_exec", Map.of("name", "p1", "command", List.of("echo", "x")), progress::add);
        assertThat(progress).contains("executing");
    }

    @Test
    void namedSandboxLifecycle() {
        CallToolResult created = call("sandbox_create", Map.of("name", "work", "vcpus", 2, "memory_mb", 256,
                "profile", "restrictive", "env", Map.of("MODE", "test")));
        assertThat(created.isError()).isFalse();
        assertThat(data(created)).containsEntry("name", "work").containsEntry("status", "running")
                .containsEntry("vcpus", 2).containsEntry("memory_mb", 256).containsEntry("profile", "restrictive");

        CallToolResult listed = call("sandbox_list", Map.of());
        assertThat(text(listed)).contains("- work: running");
        assertThat(data(listed).get("sandboxes")).asList().hasSize(1);

        CallToolResult written = call("sandbox_file_write", Map.of("name", "work", "path", "/workspace//a/hello.txt",
                "content", "hello ✓"));
        assertThat(text(written)).isEqualTo("Wrote 9 bytes to /workspace/a/hello.txt");
        assertThat(data(written)).containsEntry("path", "/workspace/a/hello.txt").containsEntry("size", 9L);

        CallToolResult read = call("sandbox_file_read", Map.of("name", "work", "path", "/workspace/a/hello.txt"));
        assertThat(data(read)).containsEntry("content", "hello ✓").containsEntry("encoding", "utf8")
                .containsEntry("size", 9L).containsEntry("truncated", false);

        assertThat(data(call("sandbox_exec", Map.of("name", "work", "command", List.of("cat", "/workspace/a/hello.txt")))))
                .containsEntry("stdout", "hello ✓").containsEntry("sandbox", "work");

        assertThat(data(call("sandbox_stop", Map.of("name", "work")))).containsEntry("status", "stopped");
        CallToolResult onStopped = call("sandbox_exec", Map.of("name", "work", "command", List.of("true")));
        assertThat(onStopped.isError()).isTrue();
        assertThat(data(onStopped)).containsEntry("code", "conflict");

        assertThat(data(call("sandbox_start", Map.of("name", "work")))).containsEntry("status", "running");
        assertThat(data(call("sandbox_exec", Map.of("name", "work", "command", List.of("cat", "/workspace/a/hello.txt")))))
                .containsEntry("stdout", "hello ✓");

        assertThat(text(call("sandbox_remove", Map.of("name", "work")))).isEqualTo("Removed sandbox 'work'");
        assertThat(backend.names()).isEmpty();
        CallToolResult again = call("sandbox_remove", Map.of("name", "work"));
        assertThat(again.isError()).isTrue();
        assertThat(text(again)).isEqualTo("Error (not_found): Sandbox 'work' not found");
        assertThat(text(call("sandbox_list", Map.of()))).isEqualTo("No sandboxes.");
    }

    @Test
    void takenNameIsAConflict() {
        call("sandbox_create", Map.of("name", "dup"));
        CallToolResult r = call("sandbox_create", Map.of("name", "dup"));
        assertThat(r.isError()).isTrue();
        assertThat(data(r)).containsEntry("code", "conflict");
    }

    @Test
    void binaryFilesRoundTripAsBase64AndLongFilesAreCut() {
        call("sandbox_create", Map.of("name", "bin"));
        byte[] bytes = {(byte) 0xff, 0, 1, 2, (byte) 0xfe};
        call("sandbox_file_write", Map.of("name", "bin", "path", "/tmp/b", "encoding", "base64",
                "content", Base64.getEncoder().encodeToString(bytes)));
        CallToolResult read = call("sandbox_file_read", Map.of("name", "bin", "path", "/tmp/b"));
        assertThat(data(read)).containsEntry("encoding", "base64").containsEntry("size", 5L)
                .containsEntry("content", Base64.getEncoder().encodeToString(bytes));
        assertThat(text(read)).contains("not UTF-8; content is base64");

        call("sandbox_file_write", Map.of("name", "bin", "path", "/tmp/long.txt", "content", "abcdefghij"));
        read = call("sandbox_file_read", Map.of("name", "bin", "path", "/tmp/long.txt", "max_bytes", 4));
        assertThat(data(read)).containsEntry("content", "abcd").containsEntry("truncated", true).containsEntry("size", 10L);
    }

    @Test
    void missingThingsAreErrorResultsNotExceptions() {
        CallToolResult r = call("sandbox_exec", Map.of("name", "ghost", "command", List.of("true")));
        assertThat(r.isError()).isTrue();
        assertThat(data(r)).containsEntry("code", "not_found").containsEntry("error", "Sandbox 'ghost' not found");

        call("sandbox_create", Map.of("name", "f"));
        r = call("sandbox_file_read", Map.of("name", "f", "path", "/nope"));
        assertThat(r.isError()).isTrue();
        assertThat(data(r)).containsEntry("code", "not_found");
    }

    @Test
    void anEngineThatIsDownGivesAClearErrorResult() {
        backend.setAvailable(false);
        CallToolResult r = call("sandbox_list", Map.of());
        assertThat(r.isError()).isTrue();
        assertThat(data(r)).containsEntry("code", "backend_unavailable");
        backend.setAvailable(true);
        assertThat(call("sandbox_list", Map.of()).isError()).isFalse();
    }

    @Test
    void exposePortOnTheEmbeddedKernelExposesItWithoutAUrl() {
        assertThat(call("sandbox_create", Map.of("name", "site")).isError()).isFalse();
        CallToolResult r = call("sandbox_expose_port", Map.of("name", "site", "port", 8000));
        assertThat(r.isError()).as(text(r)).isFalse();
        assertThat(data(r)).containsEntry("port", 8000).containsKey("exposed_at").doesNotContainKey("url");
        assertThat(ops.exposedPorts("site")).extracting(dev.agentkernel.api.ExposedPort::port).containsExactly(8000);
        assertThat(call("sandbox_expose_port", Map.of("name", "nope", "port", 8000)).isError()).isTrue();
    }
}
