package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The raw stdio channel of the real server: every byte on stdout is a JSON-RPC message, even while the engine
 * works (Docker client, pool, audit log all log); closing stdin ends the process and its sandboxes.
 */
class StdoutHygieneIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void stdoutCarriesOnlyProtocolMessagesAndClosingStdinStopsTheServer() throws Exception {
        ServerUnderTest server = new ServerUnderTest();
        Path stderr = Files.createTempFile("mcp-stderr-", ".log");
        List<String> command = new ArrayList<>(List.of(server.java()));
        command.addAll(server.args());
        Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            OutputStream in = p.getOutputStream();
            List<String> lines = new ArrayList<>();

            send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw-test\",\"version\":\"1\"}}}");
            JsonNode init = readResponse(out, lines, 1);
            assertThat(init.path("result").path("serverInfo").path("name").asText()).isEqualTo("agentkernel");

            send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"sandbox_run\","
                    + "\"arguments\":{\"command\":[\"sh\",\"-c\",\"echo to-stdout; echo to-stderr >&2\"],"
                    + "\"image\":\"" + ServerUnderTest.BUSYBOX + "\"},\"_meta\":{\"progressToken\":7}}}");
            JsonNode run = readResponse(out, lines, 2);
            assertThat(run.path("result").path("isError").asBoolean()).as(run.toString()).isFalse();
            assertThat(run.path("result").path("structuredContent").path("stdout").asText()).isEqualTo("to-stdout\n");

            send(in, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"sandbox_exec\","
                    + "\"arguments\":{\"name\":\"no-such-sandbox-" + ProcessHandle.current().pid() + "\",\"command\":[\"true\"]}}}");
            JsonNode missing = readResponse(out, lines, 3);
            assertThat(missing.path("result").path("isError").asBoolean()).isTrue();

            in.close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("server exits when stdin closes").isTrue();
            assertThat(p.exitValue()).isZero();
            String line;
            while ((line = out.readLine()) != null) {
                lines.add(line);
            }

            assertThat(lines).isNotEmpty().allSatisfy(l -> {
                JsonNode n = JSON.readTree(l);
                assertThat(n.path("jsonrpc").asText()).as(l).isEqualTo("2.0");
            });
            assertThat(lines).anyMatch(l -> l.contains("notifications/progress"));
            assertThat(Files.readString(stderr)).contains("MCP server on stdio ready");
            assertThat(server.containers()).as("the server's sandboxes are gone after it exits").isEmpty();
        } finally {
            p.destroyForcibly();
            server.removeLeftovers();
            Files.deleteIfExists(stderr);
        }
    }

    private static void send(OutputStream in, String json) throws Exception {
        in.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Reads lines (keeping every one for the hygiene check) until the response with this id. */
    private static JsonNode readResponse(BufferedReader out, List<String> lines, int id) throws Exception {
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            JsonNode n = JSON.readTree(line);
            if (n.path("id").asInt(-1) == id && (n.has("result") || n.has("error"))) {
                return n;
            }
        }
        throw new AssertionError("stdout ended before the response to request " + id + "; lines: " + lines);
    }
}
