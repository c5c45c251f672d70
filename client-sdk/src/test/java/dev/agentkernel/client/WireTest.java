package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.client.generated.model.BatchResponse;
import dev.agentkernel.client.generated.model.PoolResponse;
import dev.agentkernel.client.generated.model.RunResponse;
import dev.agentkernel.client.generated.model.SandboxResponse;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seed API's example answers and our requests, through the generated models, into the api values. */
class WireTest {
    private final ObjectMapper mapper = Wire.newMapper();

    @Test
    void seedRunAnswerWithOnlyOutput() throws Exception {
        RunResponse r = mapper.readValue("{\"success\": true, \"data\": {\"output\": \"2\\n\"}}", RunResponse.class);
        ExecResult e = Wire.runResult(r.getData()).exec();
        assertThat(e.output()).isEqualTo("2\n");
        assertThat(e.stdout()).isEqualTo("2\n");
        assertThat(e.exitCode()).isZero();
    }

    @Test
    void fullRunAnswerKeepsTheRunsImageAndPool() throws Exception {
        RunResponse r = mapper.readValue("{\"success\":true,\"data\":{\"output\":\"a\\nb\\n\",\"exit_code\":3,"
                + "\"stdout\":\"a\\n\",\"stderr\":\"b\\n\",\"duration_ms\":41,\"timed_out\":true,\"truncated\":true,"
                + "\"sandbox\":\"run-1\",\"image\":\"x\",\"image_note\":\"why\",\"pooled\":true,\"future_field\":1}}",
                RunResponse.class);
        assertThat(Wire.runResult(r.getData())).isEqualTo(new RunResult("run-1", "x", "why", true,
                new ExecResult(3, "a\n", "b\n", "a\nb\n", Duration.ofMillis(41), true, true)));
    }

    @Test
    void seedBatchAnswerAndItemErrorsKeepTheirCode() throws Exception {
        BatchResponse r = mapper.readValue("{\"success\": true, \"data\": {\"results\": [{\"output\": \"hello\\n\", "
                + "\"error\": null}, {\"output\": null, \"error\": \"Image 'x' not found\", \"code\": \"invalid_request\"},"
                + "{\"output\": null, \"error\": \"shutting down\"}]}}", BatchResponse.class);
        assertThat(r.getData().getResults()).map(Wire::batchItem).satisfiesExactly(
                first -> assertThat(first.result().exec().stdout()).isEqualTo("hello\n"),
                second -> {
                    assertThat(second.error()).isInstanceOf(AgentKernelException.InvalidRequestException.class)
                            .hasMessage("Image 'x' not found");
                    assertThat(second.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                },
                third -> assertThat(third.error().code()).isEqualTo(ErrorCode.INTERNAL));
    }

    @Test
    void seedSandboxAnswerAndUnknownStatus() throws Exception {
        SandboxResponse r = mapper.readValue("{\"success\": true, \"data\": {\"name\": \"my-sandbox\", \"status\": "
                + "\"running\", \"backend\": \"docker\", \"image\": \"python:3.12-alpine\", \"vcpus\": 1, "
                + "\"memory_mb\": 512, \"created_at\": \"2026-01-30T12:00:00Z\", \"profile\": \"restrictive\","
                + "\"kind\": \"run\"}}", SandboxResponse.class);
        assertThat(Wire.sandbox(r.getData())).isEqualTo(new SandboxInfo("my-sandbox", SandboxStatus.RUNNING, "docker",
                "python:3.12-alpine", 1, 512, Instant.parse("2026-01-30T12:00:00Z"), SecurityProfile.RESTRICTIVE,
                SandboxKind.RUN, null, null, null));
        assertThat(Wire.sandbox(r.getData()).createdAt()).hasToString("2026-01-30T12:00:00Z");
        SandboxResponse future = mapper.readValue("{\"success\":true,\"data\":{\"name\":\"a\",\"status\":\"paused\","
                + "\"backend\":\"k8s\"}}", SandboxResponse.class);
        assertThat(Wire.sandbox(future.getData()).status()).isEqualTo(SandboxStatus.UNKNOWN);
        assertThat(Wire.sandbox(future.getData()).kind()).isEqualTo(SandboxKind.NAMED);
    }

    @Test
    void poolFiguresKeepTheirKeys() throws Exception {
        PoolResponse r = mapper.readValue("{\"success\":true,\"data\":{\"enabled\":true,\"target_per_key\":2,\"max\":16,"
                + "\"size\":1,\"hits\":3,\"misses\":4,\"creations\":5,\"failures\":0,\"claim_latency_p50_ms\":1.5,"
                + "\"claim_latency_p99_ms\":2.5,\"keys\":[{\"image\":\"i\",\"profile\":\"moderate\",\"vcpus\":1,"
                + "\"memory_mb\":512,\"size\":1,\"target\":2,\"hits\":3,\"misses\":4}]}}", PoolResponse.class);
        var pool = Wire.pool(r.getData());
        assertThat(pool.keys()).singleElement().satisfies(k -> {
            assertThat(k.image()).isEqualTo("i");
            assertThat(k.target()).isEqualTo(2);
            assertThat(k.memoryMb()).isEqualTo(512);
        });
        assertThat(pool.claimLatencyP99Ms()).isEqualTo(2.5);
    }

    @Test
    void requestsUseTheWireNamesAndLeaveUnsetFieldsOut() throws Exception {
        String run = mapper.writeValueAsString(Wire.runBody(RunRequest.of("python3", "-c", "print(1)")
                .withTimeout(Duration.ofSeconds(2)).withEnv(Map.of("A", "1")).withLimits(2, 256)
                .withProfile(SecurityProfile.RESTRICTIVE)));
        assertThat(mapper.readTree(run)).isEqualTo(mapper.readTree("{\"command\":[\"python3\",\"-c\",\"print(1)\"],"
                + "\"profile\":\"restrictive\",\"fast\":true,\"vcpus\":2,\"memory_mb\":256,\"env\":{\"A\":\"1\"},"
                + "\"timeout_ms\":2000}"));
        String create = mapper.writeValueAsString(Wire.createBody(SandboxSpec.named("box")));
        assertThat(mapper.readTree(create)).isEqualTo(mapper.readTree("{\"name\":\"box\"}"));
        assertThat(mapper.readTree(mapper.writeValueAsString(Wire.createBody(SandboxSpec.named("box"),
                dev.agentkernel.api.CreateOptions.NONE)))).as("no options: the seed's body").isEqualTo(mapper.readTree(create));
        String withEnv = mapper.writeValueAsString(Wire.createBody(SandboxSpec.named("box").withEnv(Map.of("K", "v"))));
        assertThat(mapper.readTree(withEnv)).isEqualTo(mapper.readTree("{\"name\":\"box\",\"env\":{\"K\":\"v\"}}"));
        assertThat(mapper.writeValueAsString(Wire.execBody(ExecRequest.of("ls")))).isEqualTo("{\"command\":[\"ls\"]}");
        String options = mapper.writeValueAsString(Wire.createBody(SandboxSpec.named("box"),
                dev.agentkernel.api.CreateOptions.volumes(dev.agentkernel.api.VolumeMount.parse("v:/data:ro"))
                        .withSecretFiles(java.util.List.of("K")).withSource("https://example.com/r.git", "main")
                        .withPorts(java.util.List.of(8000, 3000))));
        assertThat(mapper.readTree(options)).isEqualTo(mapper.readTree("{\"name\":\"box\",\"volumes\":[\"v:/data:ro\"],"
                + "\"secret_files\":[\"K\"],\"source_url\":\"https://example.com/r.git\",\"source_ref\":\"main\","
                + "\"ports\":[8000,3000]}"));
    }

    @Test
    void labelsAreRefusedRatherThanDropped() {
        SandboxSpec labelled = new SandboxSpec("box", null, null, null, null, Map.of(), Map.of("team", "a"), null);
        assertThatThrownBy(() -> Wire.createBody(labelled))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("labels");
    }
}
