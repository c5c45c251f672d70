package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.client.generated.model.BatchResponse;
import dev.agentkernel.client.generated.model.RunResponse;
import dev.agentkernel.client.generated.model.SandboxResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seed API's example answers and our requests, through the generated models. */
class WireTest {
    private final ObjectMapper mapper = Wire.newMapper();

    @Test
    void seedRunAnswerWithOnlyOutput() throws Exception {
        RunResponse r = mapper.readValue("{\"success\": true, \"data\": {\"output\": \"2\\n\"}}", RunResponse.class);
        ExecResult e = Wire.runResult(r.getData());
        assertThat(e.output()).isEqualTo("2\n");
        assertThat(e.stdout()).isEqualTo("2\n");
        assertThat(e.exitCode()).isZero();
    }

    @Test
    void fullRunAnswer() throws Exception {
        RunResponse r = mapper.readValue("{\"success\":true,\"data\":{\"output\":\"a\\nb\\n\",\"exit_code\":3,"
                + "\"stdout\":\"a\\n\",\"stderr\":\"b\\n\",\"duration_ms\":41,\"timed_out\":true,\"truncated\":false,"
                + "\"sandbox\":\"run-1\",\"image\":\"x\",\"pooled\":true,\"future_field\":1}}", RunResponse.class);
        assertThat(Wire.runResult(r.getData()))
                .isEqualTo(new ExecResult(3, "a\n", "b\n", "a\nb\n", Duration.ofMillis(41), true, false));
    }

    @Test
    void seedBatchAnswer() throws Exception {
        BatchResponse r = mapper.readValue("{\"success\": true, \"data\": {\"results\": [{\"output\": \"hello\\n\", "
                + "\"error\": null}, {\"output\": null, \"error\": \"Image 'x' not found\"}]}}", BatchResponse.class);
        assertThat(r.getData().getResults()).map(Wire::batchItem).satisfiesExactly(
                first -> assertThat(first.result().stdout()).isEqualTo("hello\n"),
                second -> assertThat(second.error()).isEqualTo("Image 'x' not found"));
    }

    @Test
    void seedSandboxAnswerAndUnknownStatus() throws Exception {
        SandboxResponse r = mapper.readValue("{\"success\": true, \"data\": {\"name\": \"my-sandbox\", \"status\": "
                + "\"running\", \"backend\": \"docker\", \"image\": \"python:3.12-alpine\", \"vcpus\": 1, "
                + "\"memory_mb\": 512, \"created_at\": \"2026-01-30T12:00:00Z\"}}", SandboxResponse.class);
        assertThat(Wire.sandbox(r.getData())).isEqualTo(new SandboxInfo("my-sandbox", "running", "docker",
                "python:3.12-alpine", 1, 512, Instant.parse("2026-01-30T12:00:00Z"), null));
        SandboxResponse future = mapper.readValue("{\"success\":true,\"data\":{\"name\":\"a\",\"status\":\"paused\","
                + "\"backend\":\"k8s\"}}", SandboxResponse.class);
        assertThat(Wire.sandbox(future.getData()).status()).isEqualTo("unknown");
    }

    @Test
    void requestsUseTheWireNamesAndLeaveUnsetFieldsOut() throws Exception {
        String run = mapper.writeValueAsString(Wire.runBody(RunRequest.of("python3", "-c", "print(1)")
                .withTimeout(Duration.ofSeconds(2)).withEnv(Map.of("A", "1")).withLimits(2, 256).withProfile("restrictive")));
        assertThat(mapper.readTree(run)).isEqualTo(mapper.readTree("{\"command\":[\"python3\",\"-c\",\"print(1)\"],"
                + "\"profile\":\"restrictive\",\"vcpus\":2,\"memory_mb\":256,\"env\":{\"A\":\"1\"},\"timeout_ms\":2000}"));
        String create = mapper.writeValueAsString(Wire.createBody("box", SandboxSpec.defaults()));
        assertThat(mapper.readTree(create)).isEqualTo(mapper.readTree("{\"name\":\"box\"}"));
        assertThat(mapper.writeValueAsString(Wire.execBody(ExecRequest.of("ls")))).isEqualTo("{\"command\":[\"ls\"]}");
    }

    @Test
    void unknownProfileIsRefusedBeforeSending() {
        assertThatThrownBy(() -> Wire.runBody(RunRequest.of("ls").withProfile("paranoid")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("paranoid");
    }
}
