package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.Capability;
import dev.agentkernel.core.Backend;
import dev.agentkernel.testkit.BackendView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The seed's curl examples (/work/shared/seed/http-api.txt), streaming, cancellation and bad input, through HTTP
 * against a server on a real backend: one subclass per backend says which ({@code ServerDockerIT} here,
 * {@code KubernetesSeedReplayIT} on the simulated cluster), with the same assertions. What a backend cannot do is
 * read from its capabilities, never skipped silently. Everything a run creates carries its own owner; it counts
 * and removes only that owner's objects, through the backend's {@link BackendView}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SeedReplay {
    protected static final String BUSYBOX = "agentkernel/busybox:local";
    protected final String owner = "it-server-" + HexFormat.of().formatHex(
            java.nio.ByteBuffer.allocate(4).putInt(ThreadLocalRandom.current().nextInt()).array());
    private final String suffix = owner.substring(owner.length() - 8);

    @TempDir
    protected static Path dir;
    protected ServerFixture f;

    /** The backend's id as the API reports it. */
    protected abstract String backendId();

    /** A backend whose sandboxes carry {@code owner}. */
    protected abstract Backend openBackend(String owner);

    /** The test's own view of what the backend made. */
    protected abstract BackendView view();

    @BeforeAll
    void start() {
        view().removeAllOf(owner);
        f = new ServerFixture(openBackend(owner), ServerFixture.config(8, 1), dir.resolve("audit.jsonl"),
                o -> o.withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(1)),
                b -> b.reconcileFilter(s -> owner.equals(s.owner())));
    }

    @AfterAll
    void stop() {
        try {
            if (f != null) {
                f.close();
            }
            // Named sandboxes are the user's and survive a close: the tests removed theirs; nothing may be left.
            assertThat(view().objectsOf(owner)).as("objects left behind").isEmpty();
        } finally {
            view().removeAllOf(owner);
        }
    }

    protected String name(String base) {
        return base + "-" + suffix;
    }

    // ---- the seed, example by example ----

    @Test
    public void seedHealth() {
        ServerFixture.Reply r = f.get("/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    public void seedRunPython() {
        ServerFixture.Reply r = f.post("/run", "{\"command\": [\"python3\", \"-c\", \"print(1+1)\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("success").asBoolean()).isTrue();
        assertThat(r.json().at("/data/output").asText()).isEqualTo("2\n");
    }

    @Test
    public void seedRunStream() throws Exception {
        String script = "import time\nfor i in (1, 2):\n    print(f'Processing step {i}...', flush=True)\n    time.sleep(0.2)\n";
        List<SseEvent> events = stream("/run/stream", "{\"command\": [\"python3\", \"-c\", " + quote(script) + "]}");
        List<String> names = events.stream().map(SseEvent::name).toList();
        assertThat(names.subList(0, 4)).containsExactly("started", "progress", "progress", "progress");
        assertThat(events.get(0).data().get("sandbox").asText()).isNotEmpty();
        assertThat(events.subList(1, 4).stream().map(e -> e.data().get("stage").asText()))
                .containsExactly("creating", "starting", "executing");
        assertThat(text(events, "stdout")).isEqualTo("Processing step 1...\nProcessing step 2...\n");
        assertThat(names.get(names.size() - 1)).isEqualTo("done");
        assertThat(events.get(events.size() - 1).data().get("exit_code").asInt()).isZero();
    }

    @Test
    public void seedSandboxesFilesAndLogs() {
        String my = name("my-sandbox");
        String big = name("big");
        try {
            // The seed names python:3.12-alpine; see seedCreateWithTheSeedsImageName for that exact body.
            ServerFixture.Reply created = f.post("/sandboxes",
                    "{\"name\": \"" + my + "\", \"image\": \"agentkernel/python:local\"}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).isEqualTo("{\"success\":true,\"data\":{\"name\":\"" + my
                    + "\",\"status\":\"running\",\"backend\":\"" + backendId() + "\"}}");

            ServerFixture.Reply bigCreated = f.post("/sandboxes",
                    "{\"name\": \"" + big + "\", \"vcpus\": 2, \"memory_mb\": 1024, \"profile\": \"restrictive\"}");
            assertThat(bigCreated.status()).as(bigCreated.body()).isEqualTo(201);
            JsonNode bigInfo = f.get("/sandboxes/" + big).json().get("data");
            assertThat(bigInfo.get("vcpus").asInt()).isEqualTo(2);
            assertThat(bigInfo.get("memory_mb").asInt()).isEqualTo(1024);

            JsonNode list = f.get("/sandboxes").json();
            assertThat(list.get("success").asBoolean()).isTrue();
            assertThat(list.get("data").findValuesAsText("name")).contains(my, big);
            for (JsonNode s : list.get("data")) {
                assertThat(s.get("backend").asText()).isEqualTo(backendId());
                assertThat(s.get("status").asText()).isIn("running", "stopped");
            }

            JsonNode got = f.get("/sandboxes/" + my).json().get("data");
            assertThat(got.get("name").asText()).isEqualTo(my);
            assertThat(got.get("status").asText()).isEqualTo("running");
            assertThat(got.get("image").asText()).isNotEmpty();
            assertThat(got.get("vcpus").asInt()).isEqualTo(1);
            assertThat(got.get("memory_mb").asInt()).isEqualTo(512);
            assertThat(got.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

            ServerFixture.Reply ls = f.post("/sandboxes/" + my + "/exec", "{\"command\": [\"ls\", \"-la\"]}");
            assertThat(ls.status()).as(ls.body()).isEqualTo(200);
            assertThat(ls.json().at("/data/output").asText()).startsWith("total");

            ServerFixture.Reply w = f.put("/sandboxes/" + my + "/files/tmp/hello.txt", "{\"content\": \"hello world\"}");
            assertThat(w.body()).isEqualTo("{\"success\":true,\"data\":\"Wrote 11 bytes to /tmp/hello.txt\"}");
            ServerFixture.Reply bin = f.put("/sandboxes/" + my + "/files/tmp/data.bin",
                    "{\"content\": \"aGVsbG8=\", \"encoding\": \"base64\"}");
            assertThat(bin.status()).isEqualTo(200);
            ServerFixture.Reply r = f.get("/sandboxes/" + my + "/files/tmp/hello.txt");
            assertThat(r.body()).isEqualTo(
                    "{\"success\":true,\"data\":{\"content\":\"hello world\",\"encoding\":\"utf8\",\"size\":11}}");
            assertThat(f.get("/sandboxes/" + my + "/files/tmp/data.bin").json().at("/data/content").asText())
                    .isEqualTo("hello");
            ServerFixture.Reply d = f.delete("/sandboxes/" + my + "/files/tmp/hello.txt");
            assertThat(d.body()).isEqualTo("{\"success\":true,\"data\":\"Deleted /tmp/hello.txt\"}");
            assertThat(f.get("/sandboxes/" + my + "/files/tmp/hello.txt").status()).isEqualTo(404);

            // Restrictive: read-only root but a writable /tmp.
            assertThat(f.put("/sandboxes/" + big + "/files/tmp/x.txt", "{\"content\": \"x\"}").status()).isEqualTo(200);

            // What survives a stop: the whole filesystem, or (without stop_keeps_files) only /workspace.
            boolean keepsFiles = f.kernel.capabilities().contains(Capability.STOP_KEEPS_FILES);
            assertThat(f.put("/sandboxes/" + my + "/files/workspace/kept.txt", "{\"content\": \"kept\"}").status())
                    .isEqualTo(200);
            ServerFixture.Reply stopped = f.post("/sandboxes/" + my + "/stop", null);
            assertThat(stopped.status()).as(stopped.body()).isEqualTo(200);
            assertThat(stopped.json().at("/data/status").asText()).isEqualTo("stopped");
            assertThat(f.get("/sandboxes").json().get("data").toString()).contains(
                    "{\"name\":\"" + my + "\",\"status\":\"stopped\",\"backend\":\"" + backendId() + "\"");
            assertThat(f.post("/sandboxes/" + my + "/exec", "{\"command\": [\"true\"]}").status()).isEqualTo(409);
            assertThat(f.post("/sandboxes/" + my + "/start", null).json().at("/data/status").asText()).isEqualTo("running");
            assertThat(f.get("/sandboxes/" + my + "/files/workspace/kept.txt").json().at("/data/content").asText())
                    .isEqualTo("kept");
            assertThat(f.get("/sandboxes/" + my + "/files/tmp/data.bin").status()).as("/tmp after stop/start")
                    .isEqualTo(keepsFiles ? 200 : 404);

            JsonNode logs = f.get("/sandboxes/" + my + "/logs").json().get("data");
            assertThat(logs.get(0).get("event").asText()).isEqualTo("sandbox_created");
            assertThat(logs.get(0).get("sandbox").asText()).isEqualTo(my);
            assertThat(logs.findValuesAsText("timestamp")).isSorted();
            assertThat(logs.findValuesAsText("event")).contains("file_written", "sandbox_stopped");

            assertThat(f.delete("/sandboxes/" + my).status()).isEqualTo(200);
            assertThat(f.delete("/sandboxes/" + big).status()).isEqualTo(200);
            assertThat(f.delete("/sandboxes/" + my).status()).isEqualTo(404);
            assertThat(view().objectsNamed(my)).isEmpty();
        } finally {
            f.delete("/sandboxes/" + my);
            f.delete("/sandboxes/" + big);
        }
    }

    /**
     * The seed's create body names {@code python:3.12-alpine}, which cannot be pulled here: on Docker the core maps an
     * explicitly named upstream image to its local alternative, on the simulated cluster its node "pulls" it from the
     * simulated registry. Skipped (not failed) on a backend where neither holds.
     */
    @Test
    public void seedCreateWithTheSeedsImageName() {
        String my = name("seed-image");
        try {
            ServerFixture.Reply created = f.post("/sandboxes", "{\"name\": \"" + my + "\", \"image\": \"python:3.12-alpine\"}");
            assumeThat(created.body()).as("core maps an explicit python:3.12-alpine to a local image")
                    .doesNotContain("is not available locally");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(created.body()).isEqualTo("{\"success\":true,\"data\":{\"name\":\"" + my
                    + "\",\"status\":\"running\",\"backend\":\"" + backendId() + "\"}}");
            assertThat(f.post("/sandboxes/" + my + "/exec", "{\"command\": [\"python3\", \"-c\", \"print(1+1)\"]}")
                    .json().at("/data/output").asText()).isEqualTo("2\n");
        } finally {
            f.delete("/sandboxes/" + my);
        }
    }

    @Test
    public void seedBatch() {
        ServerFixture.Reply r = f.post("/batch/run", "{\"commands\": [{\"command\": [\"echo\", \"hello\"]},"
                + " {\"command\": [\"python3\", \"-c\", \"print(2+2)\"]}]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode results = r.json().at("/data/results");
        assertThat(results.get(0).get("output").asText()).isEqualTo("hello\n");
        assertThat(results.get(0).get("error").isNull()).isTrue();
        assertThat(results.get(1).get("output").asText()).isEqualTo("4\n");
        assertThat(results.get(1).get("error").isNull()).isTrue();
    }

    @Test
    public void seedErrorResponse() {
        ServerFixture.Reply r = f.get("/sandboxes/missing-" + suffix);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"success\":false,\"error\":\"Sandbox 'missing-" + suffix
                + "' not found\",\"code\":\"not_found\",\"request_id\":\"" + r.header("X-Request-Id") + "\"}");
    }

    @Test
    public void seedAuthentication() {
        String authOwner = owner + "-auth";
        try (ServerFixture keyed = new ServerFixture(openBackend(authOwner), ServerFixture.config(2), dir.resolve("audit-auth.jsonl"),
                o -> o.withApiKey("your-secret"), b -> b.reconcileFilter(s -> authOwner.equals(s.owner())))) {
            assertThat(keyed.get("/health").status()).isEqualTo(200);
            assertThat(keyed.send("GET", "/health", null, null, Map.of("no-key", List.of(""))).status()).isEqualTo(401);
            assertThat(keyed.send("GET", "/health", null, null, Map.of("Authorization", List.of("Bearer your-secret")))
                    .status()).isEqualTo(200);
        } finally {
            view().removeAllOf(authOwner);
        }
    }

    // ---- streaming, cancellation, bad input ----

    @Test
    public void eachLineReachesTheClientBeforeTheCommandEnds() throws Exception {
        List<SseEvent> events = stream("/run/stream", "{\"image\": \"" + BUSYBOX + "\", \"command\": [\"sh\", \"-c\","
                + " \"for i in 1 2 3 4; do echo line $i; sleep 0.5; done; exit 3\"]}");
        List<SseEvent> lines = events.stream().filter(e -> e.name().equals("output")).toList();
        assertThat(text(events, "stdout")).isEqualTo("line 1\nline 2\nline 3\nline 4\n");
        SseEvent done = events.get(events.size() - 1);
        assertThat(done.name()).isEqualTo("done");
        assertThat(done.data().get("exit_code").asInt()).isEqualTo(3);
        // The first line arrived at least ~1.5 s (three more sleeps) before the end.
        assertThat(done.atNanos() - lines.get(0).atNanos()).isGreaterThan(Duration.ofMillis(1200).toNanos());
        System.out.printf("[latency] first output line %d ms before done (command prints every 500 ms)%n",
                (done.atNanos() - lines.get(0).atNanos()) / 1_000_000);
    }

    @Test
    public void closingTheStreamRemovesTheTemporarySandboxAndItsCommand() throws Exception {
        HttpResponse<InputStream> resp = open("/run/stream", "{\"image\": \"" + BUSYBOX + "\", \"fast\": false,"
                + " \"command\": [\"sleep\", \"120\"]}");
        assertThat(resp.statusCode()).isEqualTo(200);
        String sandbox = null;
        try (InputStream in = resp.body()) {
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.contains("executing")) {
                if (line.startsWith("data: ") && line.contains("sandbox")) {
                    sandbox = Wire.MAPPER.readTree(line.substring(6)).get("sandbox").asText();
                }
            }
            assertThat(sandbox).isNotNull();
            assertThat(view().objectsNamed(sandbox)).hasSize(1);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!view().objectsNamed(sandbox).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(view().objectsNamed(sandbox)).as("temporary sandbox after the client left").isEmpty();
    }

    @Test
    public void closingAnExecStreamKillsTheProcessInTheNamedSandbox() throws Exception {
        String box = name("cancel");
        try {
            assertThat(f.post("/sandboxes", "{\"name\": \"" + box + "\", \"image\": \"" + BUSYBOX + "\"}").status())
                    .isEqualTo(201);
            HttpResponse<InputStream> resp = open("/sandboxes/" + box + "/exec/stream",
                    "{\"command\": [\"sleep\", \"127\"]}");
            try (InputStream in = resp.body()) {
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                String line;
                while ((line = r.readLine()) != null && !line.contains("executing")) {
                    // until the command runs
                }
                Thread.sleep(300);
                assertThat(ps(box)).contains("sleep 127");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (ps(box).contains("sleep 127") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(ps(box)).doesNotContain("sleep 127");
        } finally {
            f.delete("/sandboxes/" + box);
        }
    }

    private String ps(String box) {
        return f.post("/sandboxes/" + box + "/exec", "{\"command\": [\"ps\", \"-o\", \"args\"]}").json()
                .at("/data/output").asText();
    }

    @Test
    public void badRequestsLeaveNothingBehindAndTheServerUp() {
        List<String> before = view().objectsOf(owner);
        List<ServerFixture.Reply> replies = new ArrayList<>();
        replies.add(f.post("/run", "{\"command\": [\"echo\""));
        replies.add(f.post("/run", "{\"command\": \"echo hi\"}"));
        replies.add(f.post("/run", "{\"command\": []}"));
        replies.add(f.post("/run", "{\"command\": [\"echo\", \"a\\u0000b\"]}"));
        replies.add(f.post("/run", "{\"command\": [\"echo\"], \"profile\": \"root\"}"));
        replies.add(f.post("/sandboxes", "{\"name\": \"../etc\"}"));
        replies.add(f.get("/sandboxes/x/files/tmp/../../etc/passwd"));
        replies.add(f.post("/run", "{\"command\": [\"echo\", \"" + "a".repeat(17 * 1024 * 1024) + "\"]}"));
        replies.add(f.send("DELETE", "/run", null, null, Map.of()));
        replies.add(f.send("POST", "/run", "{\"command\": [\"echo\"]}", "text/plain", Map.of()));
        assertThat(replies.stream().map(ServerFixture.Reply::status).toList())
                .containsExactly(400, 400, 400, 400, 400, 400, 400, 413, 405, 415);
        for (ServerFixture.Reply r : replies) {
            assertThat(r.json().get("success").asBoolean()).isFalse();
        }
        assertThat(f.get("/health").status()).isEqualTo(200);
        assertThat(view().objectsOf(owner)).containsExactlyInAnyOrderElementsOf(before);
    }

    // ---- helpers ----

    record SseEvent(String name, JsonNode data, long atNanos) {
    }

    static long p50(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String quote(String s) {
        return Wire.write(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.textNode(s));
    }

    private static String text(List<SseEvent> events, String stream) {
        StringBuilder b = new StringBuilder();
        events.stream().filter(e -> e.name().equals("output") && e.data().get("stream").asText().equals(stream))
                .forEach(e -> b.append(e.data().get("content").asText()));
        return b.toString();
    }

    private HttpResponse<InputStream> open(String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(f.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return f.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    }

    private List<SseEvent> stream(String path, String json) throws Exception {
        HttpResponse<InputStream> resp = open(path, json);
        assertThat(resp.statusCode()).isEqualTo(200);
        List<SseEvent> events = new ArrayList<>();
        try (InputStream in = resp.body()) {
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String name = null;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(new SseEvent(name, Wire.MAPPER.readTree(line.substring(6)), System.nanoTime()));
                }
            }
        }
        return events;
    }
}
