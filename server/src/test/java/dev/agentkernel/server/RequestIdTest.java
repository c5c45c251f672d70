package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.AuditFiles;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Request ids and trace parents: echoed, in error bodies and in every audit event of the request. */
class RequestIdTest {
    static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    @TempDir
    static Path dir;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        // background removal: the run's sandbox_removed event is written on another thread, after the answer
        f = new ServerFixture(new FakeBackend(), ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o.withApiKey("k"), b -> b.destroyInBackground(true));
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static ServerFixture.Reply post(String path, String json, Map<String, List<String>> headers) {
        return f.send("POST", path, json, "application/json", headers);
    }

    /** Audit lines (parsed) that mention the request id. */
    private static List<JsonNode> events(String requestId) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        while (true) {
            List<JsonNode> out = AuditFiles.lines(dir.resolve("audit.jsonl")).stream()
                    .map(l -> new ServerFixture.Reply(200, null, l).json())
                    .filter(n -> requestId.equals(n.path("request_id").asText(null))).toList();
            if (out.stream().anyMatch(n -> n.path("event").asText().equals("sandbox_removed")) || System.nanoTime() > end) {
                return out;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aSaneIdIsEchoedAndRecordedWithTheTraceparentInEveryEventOfTheRun() throws Exception {
        String id = "req-" + System.nanoTime();
        ServerFixture.Reply r = post("/run", "{\"command\": [\"echo\", \"hi\"]}",
                Map.of("X-Request-Id", List.of(id), "traceparent", List.of(TP)));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Request-Id")).isEqualTo(id);
        List<JsonNode> events = events(id);
        assertThat(events).extracting(n -> n.get("event").asText())
                .contains("sandbox_created", "command_started", "command_executed", "sandbox_removed");
        assertThat(events).allSatisfy(n -> assertThat(n.path("traceparent").asText()).isEqualTo(TP));
    }

    @Test
    void insaneOrRepeatedIdsAreReplacedAndBadTraceparentsIgnored() throws Exception {
        for (Map<String, List<String>> h : List.of(
                Map.<String, List<String>>of(),
                Map.of("X-Request-Id", List.of("has space")),
                Map.of("X-Request-Id", List.of("x".repeat(129))),
                Map.of("X-Request-Id", List.of("a", "b")),
                Map.of("X-Request-Id", List.of("\"quoted\"")))) {
            ServerFixture.Reply r = f.send("GET", "/health", null, null, h);
            assertThat(r.header("X-Request-Id")).as(h.toString()).matches("[0-9a-f]{32}");
        }
        ServerFixture.Reply r = post("/sandboxes", "{\"name\": \"rid1\"}",
                Map.of("X-Request-Id", List.of("rid-create"), "traceparent", List.of(TP.replace("00-", "ff-"))));
        assertThat(r.status()).isEqualTo(201);
        List<JsonNode> created = AuditFiles.lines(dir.resolve("audit.jsonl")).stream()
                .map(l -> new ServerFixture.Reply(200, null, l).json())
                .filter(n -> "rid-create".equals(n.path("request_id").asText(null))).toList();
        assertThat(created).extracting(n -> n.get("event").asText()).containsExactly("sandbox_created");
        assertThat(created.get(0).has("traceparent")).isFalse();
    }

    @Test
    void errorBodiesCarryTheIdBesideTheSeedFields() {
        ServerFixture.Reply missing = f.send("GET", "/sandboxes/missing", null, null,
                Map.of("X-Request-Id", List.of("rid-404")));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("success").asBoolean()).isFalse();
        assertThat(missing.json().get("error").asText()).isEqualTo("Sandbox 'missing' not found");
        assertThat(missing.json().get("request_id").asText()).isEqualTo("rid-404");
        assertThat(missing.header("X-Request-Id")).isEqualTo("rid-404");

        ServerFixture.Reply unknownRoute = f.get("/nope");
        assertThat(unknownRoute.json().get("request_id").asText()).isEqualTo(unknownRoute.header("X-Request-Id"));

        String raw = f.raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: rid-malformed\r\nBad Header\r\n\r\n");
        assertThat(raw).contains("X-Request-Id: ").contains("\"request_id\":");
    }

    @Test
    void refusedRequestsAreAuditedWithTheirId() {
        ServerFixture.Reply r = f.send("GET", "/sandboxes", null, null,
                Map.of("X-API-Key", List.of("wrong"), "X-Request-Id", List.of("rid-401"), "traceparent", List.of(TP)));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("request_id").asText()).isEqualTo("rid-401");
        JsonNode refusal = AuditFiles.lines(dir.resolve("audit.jsonl")).stream()
                .map(l -> new ServerFixture.Reply(200, null, l).json())
                .filter(n -> "rid-401".equals(n.path("request_id").asText(null))).findFirst().orElseThrow();
        assertThat(refusal.get("event").asText()).isEqualTo("auth_failed");
        assertThat(refusal.get("traceparent").asText()).isEqualTo(TP);
    }

    @Test
    void batchItemsRunOnOtherThreadsAndStillCarryTheId() throws Exception {
        ServerFixture.Reply r = post("/batch/run", "{\"commands\": [{\"command\": [\"echo\", \"1\"]}, {\"command\": [\"echo\", \"2\"]}]}",
                Map.of("X-Request-Id", List.of("rid-batch")));
        assertThat(r.status()).isEqualTo(200);
        assertThat(events("rid-batch")).filteredOn(n -> n.get("event").asText().equals("command_executed")).hasSize(2);
    }
}
