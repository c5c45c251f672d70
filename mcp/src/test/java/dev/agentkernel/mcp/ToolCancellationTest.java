package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client's {@code notifications/cancelled} kills the command of a running tool call: the real stdio server
 * (the SDK, our input filter and the tools) over pipes, on a kernel over the in-memory fake backend.
 */
class ToolCancellationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aCancelledCallsCommandIsKilledAndItsSandboxRemoved() throws Exception {
        FakeBackend backend = new FakeBackend();
        PipedOutputStream toServer = new PipedOutputStream();
        PipedInputStream serverIn = new PipedInputStream(toServer, 1 << 16);
        PipedInputStream fromServer = new PipedInputStream(1 << 16);
        PipedOutputStream serverOut = new PipedOutputStream(fromServer);
        try (AgentKernel kernel = AgentKernel.builder().backend(backend)
                .config(AgentKernelConfig.forTests(dir.resolve("audit.jsonl"))).build()) {
            CompletableFuture<Void> server = CompletableFuture.runAsync(() -> {
                try {
                    McpStdioServer.serve(new SandboxTools(kernel, 4096), "test", serverIn, serverOut);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            BufferedReader out = new BufferedReader(new InputStreamReader(fromServer, StandardCharsets.UTF_8));
            send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
            assertThat(response(out, 1).path("result").path("serverInfo").path("name").asText()).isEqualTo("agentkernel");
            send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

            long start = System.nanoTime();
            send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"sandbox_run\","
                    + "\"arguments\":{\"command\":[\"sleep\",\"60\"]}}}");
            awaitTrue(() -> !backend.names().isEmpty()); // the command runs in its temporary sandbox
            send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":2,"
                    + "\"reason\":\"the user pressed stop\"}}");

            JsonNode result = response(out, 2).path("result").path("structuredContent");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            assertThat(result.path("timed_out").asBoolean()).as(result.toString()).isTrue();
            assertThat(result.path("exit_code").asInt()).isEqualTo(137);
            awaitTrue(() -> backend.names().isEmpty());

            toServer.close();
            server.get(30, TimeUnit.SECONDS);
        }
    }

    private static void send(OutputStream in, String json) throws Exception {
        in.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** The next answer to request {@code id}, skipping notifications. */
    private static JsonNode response(BufferedReader out, int id) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    JsonNode n = JSON.readTree(line);
                    if (n.path("id").asInt(-1) == id) {
                        return n;
                    }
                }
                throw new AssertionError("the server closed its output before answering " + id);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(45, TimeUnit.SECONDS);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not met in 10 s").isLessThan(end);
            Thread.sleep(10);
        }
    }
}
