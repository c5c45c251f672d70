package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's routes and shapes, and the extensions, against a real port over the in-memory backend. */
class ServerApiTest {
    @TempDir
    static Path dir;
    static FakeBackend fake;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        fake = new FakeBackend();
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"), o -> o, b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    @Test
    void healthAnswersTheSeedAndTheSdkShapesAtOnce() {
        ServerFixture.Reply r = f.get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json().get("status").asText()).isEqualTo("ok"); // the seed
        assertThat(r.json().get("success").asBoolean()).isTrue(); // the upstream SDKs require it ...
        assertThat(r.json().get("data").asText()).isEqualTo("ok"); // ... and return data
        assertThat(r.json().get("capabilities").toString()).as("what the (fake) backend declares")
                .isEqualTo("[\"network_isolation\",\"pid_limit\",\"ports\",\"stop_keeps_files\",\"stop_start\"]");
    }

    @Test
    void runReturnsOutputInTheEnvelopeWithExtensions() {
        ServerFixture.Reply r = f.post("/run", "{\"command\": [\"echo\", \"hello\"]}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode body = r.json();
        assertThat(fieldNames(body)).containsExactly("success", "data");
        assertThat(body.get("success").asBoolean()).isTrue();
        JsonNode data = body.get("data");
        assertThat(fieldNames(data).get(0)).isEqualTo("output");
        assertThat(data.get("output").asText()).isEqualTo("hello\n");
        assertThat(data.get("exit_code").asInt()).isZero();
        assertThat(data.get("stdout").asText()).isEqualTo("hello\n");
        assertThat(data.get("stderr").asText()).isEmpty();
        assertThat(data.get("timed_out").asBoolean()).isFalse();
        assertThat(data.get("truncated").asBoolean()).isFalse();
        assertThat(data.has("duration_ms")).isTrue();
        assertThat(data.get("sandbox").asText()).isNotEmpty();
    }

    @Test
    void nonZeroExitIsASuccessfulAnswer() {
        ServerFixture.Reply r = f.post("/run", "{\"command\": [\"sh\", \"-c\", \"exit 3\"], \"fast\": false}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isTrue();
        assertThat(r.json().at("/data/exit_code").asInt()).isEqualTo(3);
    }

    @Test
    void runAcceptsExtensionsAndUpstreamEnvArray() {
        ServerFixture.Reply r = f.post("/run", "{\"command\": [\"printenv\", \"GREETING\"], \"env\": [\"GREETING=hi=there\"],"
                + " \"timeout_ms\": 5000, \"vcpus\": 1, \"memory_mb\": 256, \"profile\": \"restrictive\", \"unknown\": {\"x\": 1}}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/data/output").asText()).isEqualTo("hi=there\n");
        ServerFixture.Reply obj = f.post("/run", "{\"command\": [\"printenv\", \"A\"], \"env\": {\"A\": \"b\"}}");
        assertThat(obj.json().at("/data/output").asText()).isEqualTo("b\n");
    }

    @Test
    void sandboxLifecycleHasTheSeedShapes() {
        String name = unique("life");
        ServerFixture.Reply created = f.post("/sandboxes", "{\"name\": \"" + name + "\", \"image\": \"python:3.12-alpine\"}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(fieldNames(created.json().get("data"))).containsExactly("name", "status", "backend");
        assertThat(created.json().get("data").get("status").asText()).isEqualTo("running");
        assertThat(created.json().get("data").get("name").asText()).isEqualTo(name);

        ServerFixture.Reply again = f.post("/sandboxes", "{\"name\": \"" + name + "\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("code").asText()).isEqualTo("conflict");

        JsonNode got = f.get("/sandboxes/" + name).json().get("data");
        assertThat(fieldNames(got)).startsWith("name", "status", "backend", "image", "vcpus", "memory_mb", "created_at");
        assertThat(got.get("vcpus").asInt()).isEqualTo(1);
        assertThat(got.get("memory_mb").asInt()).isEqualTo(512);
        assertThat(got.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(got.get("details").get("engine").asText()).as("backend details as they are").isEqualTo("in-memory");
        assertThat(got.has("exec_via")).as("exec_via only when the backend reports it").isFalse();

        JsonNode list = f.get("/sandboxes").json().get("data");
        assertThat(list.findValuesAsText("name")).contains(name);

        ServerFixture.Reply exec = f.post("/sandboxes/" + name + "/exec", "{\"command\": [\"hostname\"]}");
        assertThat(exec.status()).isEqualTo(200);
        assertThat(exec.json().at("/data/output").asText()).isEqualTo(name + "\n");

        ServerFixture.Reply stopped = f.post("/sandboxes/" + name + "/stop", null);
        assertThat(stopped.status()).isEqualTo(200);
        assertThat(stopped.json().at("/data/status").asText()).isEqualTo("stopped");
        ServerFixture.Reply execStopped = f.post("/sandboxes/" + name + "/exec", "{\"command\": [\"true\"]}");
        assertThat(execStopped.status()).isEqualTo(409);

        ServerFixture.Reply started = f.post("/sandboxes/" + name + "/start", null);
        assertThat(started.json().at("/data/status").asText()).isEqualTo("running");

        ServerFixture.Reply removed = f.delete("/sandboxes/" + name);
        assertThat(removed.status()).isEqualTo(200);
        assertThat(removed.json().get("success").asBoolean()).isTrue();
        assertThat(f.get("/sandboxes/" + name).status()).isEqualTo(404);
        assertThat(f.delete("/sandboxes/" + name).status()).isEqualTo(404);
    }

    @Test
    void missingSandboxIsTheSeedsErrorEnvelope() {
        ServerFixture.Reply r = f.get("/sandboxes/missing");
        assertThat(r.status()).isEqualTo(404);
        // The seed's fields first, as the seed writes them; the extensions (code, request_id) after.
        assertThat(r.body()).isEqualTo("{\"success\":false,\"error\":\"Sandbox 'missing' not found\",\"code\":\"not_found\","
                + "\"request_id\":\"" + r.header("X-Request-Id") + "\"}");
    }

    @Test
    void filesRoundTripWithTheSeedsTexts() {
        String name = unique("files");
        assertThat(f.post("/sandboxes", "{\"name\": \"" + name + "\"}").status()).isEqualTo(201);
        try {
            ServerFixture.Reply w = f.put("/sandboxes/" + name + "/files/tmp/hello.txt", "{\"content\": \"hello world\"}");
            assertThat(w.status()).isEqualTo(200);
            assertThat(w.body()).isEqualTo("{\"success\":true,\"data\":\"Wrote 11 bytes to /tmp/hello.txt\"}");

            ServerFixture.Reply r = f.get("/sandboxes/" + name + "/files/tmp/hello.txt");
            assertThat(r.body()).isEqualTo(
                    "{\"success\":true,\"data\":{\"content\":\"hello world\",\"encoding\":\"utf8\",\"size\":11}}");

            // The generated client percent-encodes the slashes of the path parameter.
            assertThat(f.get("/sandboxes/" + name + "/files/tmp%2Fhello.txt").json().at("/data/content").asText())
                    .isEqualTo("hello world");

            // Binary content in and out as base64 (0xff is never valid UTF-8).
            assertThat(f.put("/sandboxes/" + name + "/files/tmp/data.bin",
                    "{\"content\": \"/wBoZWxsbw==\", \"encoding\": \"base64\"}").json().get("data").asText())
                    .isEqualTo("Wrote 7 bytes to /tmp/data.bin");
            JsonNode bin = f.get("/sandboxes/" + name + "/files/tmp/data.bin").json().get("data");
            assertThat(bin.get("encoding").asText()).isEqualTo("base64");
            assertThat(bin.get("content").asText()).isEqualTo("/wBoZWxsbw==");
            assertThat(bin.get("size").asInt()).isEqualTo(7);

            ServerFixture.Reply d = f.delete("/sandboxes/" + name + "/files/tmp/hello.txt");
            assertThat(d.body()).isEqualTo("{\"success\":true,\"data\":\"Deleted /tmp/hello.txt\"}");
            assertThat(f.get("/sandboxes/" + name + "/files/tmp/hello.txt").status()).isEqualTo(404);
        } finally {
            f.delete("/sandboxes/" + name);
        }
    }

    @Test
    void dotDotInAFilePathIsRefusedInEveryEncoding() {
        for (String p : List.of("/sandboxes/x/files/tmp/../etc/passwd", "/sandboxes/x/files/tmp/%2e%2e/etc/passwd",
                "/sandboxes/x/files/tmp%2F..%2Fetc%2Fpasswd", "/sandboxes/x/files/..", "/sandboxes/x/files/tmp/.%2E/x",
                "/sandboxes/x/files/tmp/%2E./x", "/sandboxes//x/files/tmp/..%2Fx", "/sandboxes/x/..//files/x")) {
            ServerFixture.Reply r = f.get(p);
            assertThat(r.status()).as(p).isEqualTo(400);
            assertThat(r.json().get("code").asText()).isEqualTo("invalid_request");
            assertThat(r.json().get("error").asText()).contains("..");
        }
    }

    @Test
    void filePathsComeFromTheNormalisedRouteDecodedOnce() {
        String name = unique("paths");
        f.post("/sandboxes", "{\"name\": \"" + name + "\"}");
        try {
            // [request path, the file it names]
            List<String[]> cases = List.of(
                    new String[]{"/sandboxes//" + name + "/files/tmp/a.txt", "/tmp/a.txt"},
                    new String[]{"/sandboxes/" + name + "/./files/tmp/b.txt", "/tmp/b.txt"},
                    new String[]{"/sandboxes/" + name + "//files//tmp//c.txt", "/tmp/c.txt"},
                    new String[]{"/sandboxes/" + name + "/files/tmp%2Fd.txt", "/tmp/d.txt"},
                    new String[]{"/sandboxes/" + name + "/files/tmp/%2e%2e%2e", "/tmp/..."},
                    new String[]{"/sandboxes/" + name + "/files/tmp/e%252F..%252Fx", "/tmp/e%2F..%2Fx"},
                    new String[]{"/sandboxes/" + name + "/files/tmp/%E2%82%AC.txt?x=1", "/tmp/€.txt"});
            for (String[] c : cases) {
                String raw = f.raw("PUT " + c[0] + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 15\r\nConnection: close\r\n\r\n{\"content\":\"x\"}");
                assertThat(raw).as(c[0]).startsWith("HTTP/1.1 200").endsWith("\"data\":\"Wrote 1 bytes to " + c[1] + "\"}");
                String encoded = java.net.URLEncoder.encode(c[1].substring(1), StandardCharsets.UTF_8).replace("+", "%20");
                assertThat(f.get("/sandboxes/" + name + "/files/" + encoded).json().get("data").get("content").asText())
                        .as(c[0]).isEqualTo("x");
            }
        } finally {
            f.delete("/sandboxes/" + name);
        }
    }

    @Test
    void logsAreSortedAuditEvents() {
        String name = unique("logs");
        f.post("/sandboxes", "{\"name\": \"" + name + "\"}");
        f.post("/sandboxes/" + name + "/exec", "{\"command\": [\"true\"]}");
        f.delete("/sandboxes/" + name);
        JsonNode events = f.get("/sandboxes/" + name + "/logs").json().get("data");
        assertThat(events.size()).isGreaterThanOrEqualTo(3);
        List<String> names = events.findValuesAsText("event");
        assertThat(names.get(0)).isEqualTo("sandbox_created");
        assertThat(names).contains("command_executed", "sandbox_removed");
        List<String> stamps = events.findValuesAsText("timestamp");
        assertThat(stamps).isSorted();
        assertThat(events.findValuesAsText("sandbox")).containsOnly(name);
        assertThat(f.get("/sandboxes/" + name + "/logs?limit=1").json().get("data").size()).isEqualTo(1);
        assertThat(f.get("/sandboxes/" + name + "/logs?since=2999-01-01T00:00:00Z").json().get("data").size()).isZero();
        assertThat(f.get("/sandboxes/" + name + "/logs?limit=x").status()).isEqualTo(400);
        assertThat(f.get("/sandboxes/" + name + "/logs?since=yesterday").status()).isEqualTo(400);
    }

    @Test
    void batchKeepsInputOrder() {
        ServerFixture.Reply r = f.post("/batch/run", "{\"commands\": [{\"command\": [\"echo\", \"hello\"]},"
                + " {\"command\": [\"echo\", \"4\"]}]}");
        assertThat(r.status()).isEqualTo(200);
        JsonNode results = r.json().at("/data/results");
        assertThat(results.size()).isEqualTo(2);
        assertThat(fieldNames(results.get(0))).startsWith("output", "error");
        assertThat(results.get(0).get("output").asText()).isEqualTo("hello\n");
        assertThat(results.get(0).get("error").isNull()).isTrue();
        assertThat(results.get(1).get("output").asText()).isEqualTo("4\n");
    }

    @Test
    void poolMetricsAndOpenApiAnswer() {
        ServerFixture.Reply pool = f.get("/pool");
        assertThat(pool.status()).isEqualTo(200);
        assertThat(pool.json().at("/data/enabled").isBoolean()).isTrue();
        f.get("/health");
        ServerFixture.Reply metrics = f.get("/metrics");
        assertThat(metrics.header("Content-Type")).startsWith("text/plain");
        assertThat(metrics.body()).contains("agentkernel_http_server_requests_seconds_count{method=\"GET\",operation=\"health\",status=\"200\"}");
        ServerFixture.Reply doc = f.get("/openapi.yaml");
        assertThat(doc.status()).isEqualTo(200);
        assertThat(doc.body()).startsWith("openapi: 3.1");
    }

    @Test
    void unknownRoutesAre404AndWrongMethods405WithAllow() {
        ServerFixture.Reply unknown = f.get("/nope");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("success").asBoolean()).isFalse();
        assertThat(unknown.json().get("code").asText()).isEqualTo("not_found");

        ServerFixture.Reply wrong = f.send("PUT", "/run", "{}", "application/json", Map.of());
        assertThat(wrong.status()).isEqualTo(405);
        assertThat(wrong.header("Allow")).isEqualTo("POST");
        assertThat(wrong.json().get("success").asBoolean()).isFalse();

        ServerFixture.Reply wrong2 = f.send("PATCH", "/sandboxes/abc", null, null, Map.of());
        assertThat(wrong2.status()).isEqualTo(405);
        assertThat(wrong2.header("Allow")).contains("GET", "DELETE");
    }

    @Test
    void hostHeaderOfAnotherSiteIsRefusedOnLoopback() {
        String evil = f.raw("GET /health HTTP/1.1\r\nHost: evil.example:18888\r\nConnection: close\r\n\r\n");
        assertThat(evil).startsWith("HTTP/1.1 403");
        assertThat(evil).contains("\"code\":\"forbidden\"");
        for (String ok : List.of("localhost", "localhost:" + f.server.port(), "127.0.0.1:1", "[::1]:18888", "[::1]")) {
            assertThat(f.raw("GET /health HTTP/1.1\r\nHost: " + ok + "\r\nConnection: close\r\n\r\n")).as(ok)
                    .startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void noCorsHeadersUnlessConfigured() {
        ServerFixture.Reply r = f.send("GET", "/health", null, null, Map.of("Origin", List.of("http://evil.example")));
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("access-control"));
    }
}
