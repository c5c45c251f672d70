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
        ProtocolInput in = new ProtocolInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, ended,
                new CallCancellations());
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
                new ByteArrayOutputStream(), ended, new CallCancellations());
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

    @Test
    void aToolCallIsTaggedWithItsIdAndItsCancellationFiresOnTheClientsNotification() throws Exception {
        String input = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"sandbox_run\","
                + "\"arguments\":{},\"_meta\":{\"progressToken\":\"p\"}}}\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"s-8\",\"method\":\"tools/call\",\"params\":{\"name\":\"sandbox_exec\"}}\n"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}\n";
        CallCancellations calls = new CallCancellations();
        ProtocolInput in = new ProtocolInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new ByteArrayOutputStream(), new CountDownLatch(1), calls);
        in.release();

        String[] passed = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");

        assertThat(passed).as("the cancellation notification is handled here, not passed on").hasSize(2);
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(passed[0]).path("params").path("_meta");
        assertThat(first.path("progressToken").asText()).isEqualTo("p");
        assertThat(first.path(CallCancellations.META_KEY).asText()).isEqualTo("7");
        JsonNode second = json.readTree(passed[1]).path("params").path("_meta");
        assertThat(second.path(CallCancellations.META_KEY).asText()).isEqualTo("\"s-8\"");

        java.util.Map<String, Object> meta7 = java.util.Map.of(CallCancellations.META_KEY, "7");
        java.util.Map<String, Object> meta8 = java.util.Map.of(CallCancellations.META_KEY, "\"s-8\"");
        assertThat(calls.of(meta7).isCancelled()).isTrue();
        assertThat(calls.of(meta8).isCancelled()).isFalse();
        calls.closed(meta8);
        assertThat(calls.screen((com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"s-8\"}}"), "x"))
                .as("a cancellation goes no further").isNull();
        assertThat(calls.of(meta8).isCancelled()).as("a finished call is no longer known").isFalse();
    }
}
