package dev.agentkernel.cli.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ServerTimingsTest {
    private static final String BEFORE = """
            agentkernel_engine_call_seconds_count{operation="create",outcome="ok"} 2
            agentkernel_engine_call_seconds_sum{operation="create",outcome="ok"} 0.5
            agentkernel_audit_append_seconds_count 10
            agentkernel_audit_append_seconds_sum 0.01
            """;
    private static final String AFTER = """
            # HELP agentkernel_engine_call_seconds Calls into the engine
            agentkernel_engine_call_seconds_bucket{operation="create",outcome="ok",le="0.001"} 0
            agentkernel_engine_call_seconds_count{operation="create",outcome="ok"} 12
            agentkernel_engine_call_seconds_sum{operation="create",outcome="ok"} 3.5
            agentkernel_engine_call_seconds_count{operation="remove",outcome="ok"} 4
            agentkernel_engine_call_seconds_sum{operation="remove",outcome="ok"} 2.0
            agentkernel_audit_append_seconds_count 30
            agentkernel_audit_append_seconds_sum 0.03
            """;

    @Test
    void aPhaseIsTheDifferenceOfTwoScrapes() {
        ServerTimings phase = ServerTimings.parse(AFTER).since(ServerTimings.parse(BEFORE));
        var engine = phase.of("agentkernel_engine_call");
        assertThat(engine).hasSize(2);
        ServerTimings.Series create = engine.get("{operation=\"create\",outcome=\"ok\"}");
        assertThat(create.count()).isEqualTo(10);
        assertThat(create.meanMs()).isEqualTo(300.0);
        assertThat(engine.get("{operation=\"remove\",outcome=\"ok\"}").meanMs()).isEqualTo(500.0);
        assertThat(phase.of("agentkernel_audit_append").get("").meanMs()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theServerTheBenchStartsRunsWithTheLaunchersServeOptions() throws Exception {
        String options = ServerProcess.serveJvmOptions();
        assertThat(options).contains("-XX:+UseSerialGC").contains("-Xms");
        assertThat(Files.readString(Path.of("../agentkernel"))).contains("cli/src/main/resources/dev/agentkernel/cli/serve.jvm-options");
    }
}
