package dev.agentkernel.mcp;

import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The declared tools: upstream names, valid and strict schemas, validation that agrees with the handlers. */
class ToolSchemasTest {
    private final SandboxTools tools = new SandboxTools(UnusedOperations.sandboxes(), 4096);
    private final DefaultJsonSchemaValidator validator = new DefaultJsonSchemaValidator();

    @Test
    void theNineUpstreamToolNamesAndThePortTool() {
        assertThat(tools.tools()).extracting(McpSchema.Tool::name).containsExactly(
                "sandbox_run", "sandbox_create", "sandbox_exec", "sandbox_list", "sandbox_remove",
                "sandbox_file_write", "sandbox_file_read", "sandbox_start", "sandbox_stop", "sandbox_expose_port");
    }

    @Test
    void everySchemaIsAValidStrictObjectSchemaWithDescriptions() {
        for (McpSchema.Tool tool : tools.tools()) {
            Map<String, Object> schema = tool.inputSchema();
            assertThat(validator.validateSchema(schema).valid()).as(tool.name()).isTrue();
            assertThat(schema).containsEntry("type", "object").containsEntry("additionalProperties", false);
            assertThat(tool.description()).as(tool.name()).hasSizeGreaterThan(40);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> props = (Map<String, Map<String, Object>>) schema.get("properties");
            props.forEach((name, p) -> assertThat(p).as(tool.name() + "." + name).containsKey("description"));
        }
    }

    @Test
    void schemasCarryBoundsAndEnums() {
        Map<String, Object> run = schema("sandbox_run");
        assertThat(run.get("required")).isEqualTo(List.of("command"));
        assertThat(property(run, "profile").get("enum")).isEqualTo(List.of("permissive", "moderate", "restrictive"));
        assertThat(property(run, "vcpus")).containsEntry("minimum", 1L).containsEntry("maximum", 64L);
        assertThat(property(run, "memory_mb")).containsEntry("minimum", 16L).containsEntry("maximum", 262_144L);
        assertThat(property(run, "timeout_ms")).containsEntry("minimum", 1L);
        assertThat(property(run, "max_output_bytes")).containsEntry("maximum", 4096L);
        assertThat(schema("sandbox_exec").get("required")).isEqualTo(List.of("name", "command"));
        assertThat(schema("sandbox_file_write").get("required")).isEqualTo(List.of("name", "path", "content"));
    }

    @Test
    void theSchemaAcceptsGoodCallsAndRejectsBadOnes() {
        Map<String, Object> exec = schema("sandbox_exec");
        assertThat(validator.validate(exec, Map.of("name", "box-1", "command", List.of("ls"), "timeout_ms", 1000,
                "env", Map.of("A_1", "x"), "cwd", "/tmp")).valid()).isTrue();
        assertThat(validator.validate(exec, Map.of("name", "box-1")).valid()).isFalse();
        assertThat(validator.validate(exec, Map.of("name", "-bad", "command", List.of("ls"))).valid()).isFalse();
        assertThat(validator.validate(exec, Map.of("name", "b", "command", List.of())).valid()).isFalse();
        assertThat(validator.validate(exec, Map.of("name", "b", "command", List.of("ls"), "extra", 1)).valid()).isFalse();
        assertThat(validator.validate(exec, Map.of("name", "b", "command", List.of("ls"), "timeout_ms", 0)).valid()).isFalse();
        assertThat(validator.validate(exec, Map.of("name", "b", "command", List.of("ls"), "env", Map.of("1A", "x")))
                .valid()).isFalse();
        assertThat(validator.validate(schema("sandbox_create"), Map.of("name", "b", "vcpus", 65)).valid()).isFalse();
        assertThat(validator.validate(schema("sandbox_create"), Map.of("name", "b", "profile", "root")).valid()).isFalse();
        assertThat(validator.validate(schema("sandbox_list"), Map.of()).valid()).isTrue();
    }

    @Test
    void handlersRejectWhatTheSchemaRejectsWithAnErrorResult() {
        var result = tools.call("sandbox_create", Map.of("name", "b", "vcpus", 65), ProgressSink.NONE);
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("'vcpus' must be between 1 and 64, got 65");

        result = tools.call("sandbox_exec", Map.of("name", "b", "command", List.of("ls"), "bogus", true), ProgressSink.NONE);
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("unknown argument bogus");

        result = tools.call("sandbox_file_write", Map.of("name", "b", "path", "/x", "content", "%%%", "encoding", "base64"),
                ProgressSink.NONE);
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("'content' is not valid base64");

        result = tools.call("sandbox_file_read", Map.of("name", "b", "path", "/a/../etc/passwd"), ProgressSink.NONE);
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("'..' is not allowed");

        result = tools.call("no_such_tool", Map.of(), ProgressSink.NONE);
        assertThat(result.isError()).isTrue();
        assertThat(text(result)).contains("Unknown tool 'no_such_tool'");
    }

    static String text(McpSchema.CallToolResult result) {
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    private Map<String, Object> schema(String tool) {
        return tools.tools().stream().filter(t -> t.name().equals(tool)).findFirst().orElseThrow().inputSchema();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> property(Map<String, Object> schema, String name) {
        return ((Map<String, Map<String, Object>>) schema.get("properties")).get(name);
    }
}
