package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class ProtocolInputTest {

    @Test
    void passesJsonObjectsAnswersGarbageWithParseErrorsAndSignalsTheEnd() throws Exception {
        String input = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
                + "not json at all\n"
                + "\n"
                + "[1,2,3]\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"x\":\"é\"}}\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CountDownLatch ended = new CountDownLatch(1);
        ProtocolInput in = new ProtocolInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, ended);
        in.release();

        String passed = new String(in.readAllBytes(), StandardCharsets.UTF_8);

        assertThat(passed).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"x\":\"é\"}}\n");
        assertThat(ended.getCount()).isZero();
        String[] errors = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(errors).hasSize(2);
        for (String e : errors) {
            JsonNode n = new ObjectMapper().readTree(e);
            assertThat(n.path("jsonrpc").asText()).isEqualTo("2.0");
            assertThat(n.get("id").isNull()).isTrue();
            assertThat(n.path("error").path("code").asInt()).isEqualTo(-32700);
        }
    }

    @Test
    void theEndOfInputIsHeldBackUntilReleased() throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        ProtocolInput in = new ProtocolInput(new ByteArrayInputStream("{\"id\":1}\n".getBytes(StandardCharsets.UTF_8)),
                new ByteArrayOutputStream(), ended);
        var result = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(ended.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        assertThat(result).as("the reader must not see the end before release()").isNotDone();
        in.release();
        assertThat(result.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("{\"id\":1}\n");
    }
}
