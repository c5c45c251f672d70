package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /metrics}: Micrometer's Prometheus text, behind the API key, with bounded labels. */
class MetricsTest {
    static final String KEY = "metrics-key";
    @TempDir
    static Path dir;
    static FakeBackend fake = new FakeBackend();
    static ServerFixture f;

    @BeforeAll
    static void start() {
        f = new ServerFixture(fake, ServerFixture.config(4, 1), dir.resolve("audit.jsonl"), o -> o.withApiKey(KEY),
                b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static String scrape() {
        ServerFixture.Reply r = f.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        return r.body();
    }

    /** The value of the first sample line that starts with {@code prefix}. */
    private static double value(String text, String prefix) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(prefix) + "\\S* (\\S+)$").matcher(text);
        assertThat(m.find()).as(prefix + " in\n" + text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void requiresTheKey() {
        assertThat(f.send("GET", "/metrics", null, null, Map.of("no-key", List.of(""))).status()).isEqualTo(401);
    }

    @Test
    void requestsCommandsAndKernelTimingsAreHistograms() {
        f.post("/run", "{\"command\": [\"echo\", \"hi\"]}");
        f.post("/sandboxes", "{\"name\": \"m1\"}");
        f.post("/sandboxes/m1/exec", "{\"command\": [\"echo\", \"hi\"]}");
        f.get("/sandboxes/missing");
        String text = scrape();
        // per operation (never the raw path), method and status
        assertThat(value(text, "agentkernel_http_server_requests_seconds_count{method=\"POST\",operation=\"run\",status=\"200\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(text).contains("agentkernel_http_server_requests_seconds_bucket{method=\"GET\",operation=\"getSandbox\","
                + "status=\"404\",le=\"0.01\"}");
        assertThat(text).doesNotContain("/sandboxes/missing").doesNotContain("operation=\"/");
        assertThat(value(text, "agentkernel_command_duration_seconds_count{kind=\"exec\",outcome=\"ok\"}")).isEqualTo(1);
        assertThat(value(text, "agentkernel_command_duration_seconds_count{kind=\"run\",outcome=\"ok\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "agentkernel_admission_wait_seconds_count{operation=\"exec\",outcome=\"admitted\"}")).isEqualTo(1);
        assertThat(value(text, "agentkernel_engine_call_seconds_count{operation=\"create\",outcome=\"ok\"}")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "agentkernel_engine_call_seconds_count{operation=\"exec\",outcome=\"ok\"}")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "agentkernel_pool_claim_seconds_count{result=")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "agentkernel_audit_append_seconds_count")).isGreaterThanOrEqualTo(4);
        assertThat(text).contains("agentkernel_audit_append_seconds_bucket{le=\"0.001\"}");
    }

    @Test
    void poolSandboxesJvmAndProcessFigures() {
        f.post("/sandboxes", "{\"name\": \"m2\"}");
        f.post("/sandboxes/m2/stop", null);
        String text = scrape();
        assertThat(value(text, "agentkernel_sandboxes{kind=\"named\",status=\"stopped\"}")).isGreaterThanOrEqualTo(1);
        assertThat(text).contains("agentkernel_pool_size{image=\"agentkernel/busybox:local\",memory_mb=\"512\","
                + "profile=\"moderate\",vcpus=\"1\"}");
        assertThat(text).contains("agentkernel_pool_target{");
        assertThat(text).contains("agentkernel_pool_hits_total", "agentkernel_pool_misses_total", "agentkernel_pool_max ");
        assertThat(value(text, "jvm_memory_used_bytes{")).isPositive();
        assertThat(value(text, "jvm_threads_live_threads")).isPositive();
        assertThat(value(text, "process_resident_memory_bytes")).isPositive();
        assertThat(text).contains("process_cpu_usage", "process_uptime_seconds", "jvm_classes_loaded_classes",
                "agentkernel_blocking_calls_in_flight", "agentkernel_streams_active");
    }

    @Test
    void everyMetricOfTheDashboardAndTheDocsExists() throws Exception {
        f.post("/run", "{\"command\": [\"echo\", \"hi\"]}");
        f.post("/sandboxes", "{\"name\": \"m3\"}");
        f.get("/sandboxes/m3");
        String text = scrape();
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (String file : List.of("../docs/grafana-dashboard.json", "../docs/metrics.md")) {
            String doc = java.nio.file.Files.readString(Path.of(file));
            Matcher m = Pattern.compile("\\b(agentkernel_[a-z_]+|jvm_[a-z_]+|process_[a-z_]+|system_[a-z_]+)").matcher(doc);
            while (m.find()) {
                names.add(m.group(1).replaceAll("_(bucket|count|sum|max)$", ""));
            }
        }
        if (!text.contains("jvm_gc_pause_seconds")) {
            names.removeIf(n -> n.startsWith("jvm_gc_pause")); // only after a first collection
        }
        assertThat(names).hasSizeGreaterThan(20);
        assertThat(names).allSatisfy(n -> assertThat(text).as(n).containsPattern("(?m)^" + n + "(_bucket|_count|_sum|_max)?[{ ]"));
    }

    @Test
    void clientsCannotGrowTheLabels() {
        for (int i = 0; i < 20; i++) {
            f.raw("FOO" + i + " /sandboxes/x" + i + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + KEY
                    + "\r\nConnection: close\r\n\r\n");
            f.get("/no/such/route/" + i);
        }
        String text = scrape();
        List<String> series = Arrays.stream(text.split("\n"))
                .filter(l -> l.startsWith("agentkernel_http_server_requests_seconds_count")).toList();
        assertThat(series).noneMatch(l -> l.contains("FOO") || l.contains("/no/such"));
        assertThat(series).filteredOn(l -> l.contains("operation=\"unmatched\"")).hasSizeLessThanOrEqualTo(4);
    }
}
