package dev.agentkernel.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Percentiles, ratios and both renderings of the benchmark report. */
class BenchReportTest {
    private static Samples millis(long... values) {
        Samples s = new Samples();
        for (long v : values) {
            s.add(v * 1_000_000L);
        }
        return s;
    }

    @Test
    void percentilesAreNearestRank() {
        Samples s = new Samples();
        for (int i = 1; i <= 100; i++) {
            s.add(i * 1_000_000L);
        }
        s.fail("boom");
        Samples.Summary sum = s.summary();
        assertThat(sum.count()).isEqualTo(100);
        assertThat(sum.errors()).isEqualTo(1);
        assertThat(sum.p50()).isEqualTo(50.0);
        assertThat(sum.p95()).isEqualTo(95.0);
        assertThat(sum.p99()).isEqualTo(99.0);
        assertThat(sum.max()).isEqualTo(100.0);
        assertThat(Samples.pct(List.of(7_000_000L), 99)).isEqualTo(7.0);
        assertThat(new Samples().summary().p50()).isNaN();
    }

    @Test
    void tableAndJsonCarryRatiosAndTargets() throws Exception {
        BenchReport r = new BenchReport(Map.of("cpus", "2"));
        r.latency("warm /run echo (pool)", millis(10, 12, 14), null);
        r.baseline(BenchReport.DOCKER_RUN, millis(240, 250, 260));
        r.scalar("server RSS idle", 90.5, "MiB", null);
        r.target("warm /run p50 <= 25 ms", "12 ms", true);
        r.target("unmeasured", "-", null);
        StringWriter text = new StringWriter();
        r.printTable(new PrintWriter(text));
        assertThat(text.toString()).contains("warm /run echo (pool)").contains("20.83x").contains("[ok ] warm /run p50")
                .contains("[ ? ] unmeasured").contains("90.5 MiB");
        JsonNode json = new ObjectMapper().readTree(r.json());
        JsonNode warm = json.path("latencies_ms").get(0);
        assertThat(warm.path("p50").asDouble()).isEqualTo(12.0);
        assertThat(warm.path("speedup_vs_baseline_p50").path(BenchReport.DOCKER_RUN).asDouble()).isEqualTo(20.833);
        assertThat(json.path("targets").get(1).path("holds").isNull()).isTrue();
        assertThat(json.path("machine").path("cpus").asText()).isEqualTo("2");
    }
}
