package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** SSE framing, events as produced, heartbeats, and cancellation when the client goes away. */
class SseTest {
    @TempDir
    static Path dir;
    static FakeBackend fake;
    static ServerFixture f;

    /** One parsed event. */
    record Event(String id, String name, JsonNode data, long atNanos) {
    }

    @BeforeAll
    static void start() {
        fake = new FakeBackend().handler(cmd -> {
            List<String> argv = cmd.argv();
            if (argv.get(0).equals("ticks")) {
                // "ticks N MS": prints "line i" every MS milliseconds; multi-byte text split across chunks.
                int n = Integer.parseInt(argv.get(1));
                for (int i = 1; i <= n; i++) {
                    if (!cmd.sleep(Duration.ofMillis(Long.parseLong(argv.get(2))))) {
                        return 137;
                    }
                    cmd.out("line " + i + "\n");
                }
                byte[] euro = "€\n".getBytes(StandardCharsets.UTF_8);
                cmd.out(new byte[]{euro[0]});
                cmd.out(new byte[]{euro[1], euro[2], euro[3]});
                cmd.err("warn\n");
                return 7;
            }
            return FakeBackend.DEFAULT_HANDLER.run(cmd);
        });
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"),
                o -> o.withTimeouts(o.idleTimeout(), Duration.ofSeconds(2), Duration.ofMillis(200)), b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static HttpResponse<InputStream> open(String path, String json) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(f.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return f.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    }

    /** Reads events until the stream ends; comment lines are counted in {@code comments}. */
    private static List<Event> read(InputStream in, List<String> comments) throws IOException {
        List<Event> events = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String id = null;
        String name = null;
        String data = null;
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith(":")) {
                comments.add(line);
            } else if (line.startsWith("id: ")) {
                id = line.substring(4);
            } else if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                assertThat(data).as("one data line per event").isNull();
                data = line.substring(6);
            } else if (line.isEmpty() && name != null) {
                events.add(new Event(id, name, Wire.MAPPER.readTree(data), System.nanoTime()));
                id = null;
                name = null;
                data = null;
            }
        }
        return events;
    }

    @Test
    void runStreamSendsTheSeedsEventsInOrderWithIds() throws Exception {
        HttpResponse<InputStream> resp = open("/run/stream", "{\"command\": [\"ticks\", \"3\", \"10\"], \"fast\": false}");
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<Event> events;
        try (InputStream in = resp.body()) {
            events = read(in, new ArrayList<>());
        }
        List<String> names = events.stream().map(Event::name).toList();
        assertThat(names.subList(0, 4)).containsExactly("started", "progress", "progress", "progress");
        assertThat(events.get(0).data().get("sandbox").asText()).startsWith("run-");
        assertThat(events.get(0).data().get("image").asText()).isNotBlank();
        assertThat(events.get(0).data().get("pooled").asBoolean()).isFalse();
        assertThat(events.subList(1, 4).stream().map(e -> e.data().get("stage").asText()))
                .containsExactly("creating", "starting", "executing");
        assertThat(names.get(names.size() - 1)).isEqualTo("done");
        JsonNode done = events.get(events.size() - 1).data();
        assertThat(done.get("exit_code").asInt()).isEqualTo(7);
        assertThat(done.get("timed_out").asBoolean()).isFalse();
        assertThat(done.has("duration_ms")).isTrue();
        assertThat(done.get("truncated").asBoolean()).isFalse();

        List<Event> outputs = events.stream().filter(e -> e.name().equals("output")).toList();
        StringBuilder stdout = new StringBuilder();
        outputs.stream().filter(e -> e.data().get("stream").asText().equals("stdout"))
                .forEach(e -> stdout.append(e.data().get("content").asText()));
        assertThat(stdout.toString()).isEqualTo("line 1\nline 2\nline 3\n€\n");
        assertThat(outputs).noneMatch(e -> e.data().get("content").asText().contains("\uFFFD"));
        assertThat(outputs).anyMatch(e -> e.data().get("stream").asText().equals("stderr")
                && e.data().get("content").asText().equals("warn\n"));
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).id()).isEqualTo(String.valueOf(i + 1));
        }
        assertThat(fake.names()).noneMatch(n -> n.startsWith("run-"));
    }

    @Test
    void outputArrivesAsProducedAndHeartbeatsFillTheGaps() throws Exception {
        HttpResponse<InputStream> resp = open("/run/stream", "{\"command\": [\"ticks\", \"3\", \"500\"], \"fast\": false}");
        List<String> comments = new ArrayList<>();
        List<Event> events;
        try (InputStream in = resp.body()) {
            events = read(in, comments);
        }
        List<Event> lines = events.stream().filter(e -> e.name().equals("output")
                && e.data().get("content").asText().startsWith("line")).toList();
        assertThat(lines).hasSize(3);
        Event done = events.get(events.size() - 1);
        // Each line reached the client well before the command ended (the next line is 500 ms later).
        assertThat(done.atNanos() - lines.get(0).atNanos()).isGreaterThan(Duration.ofMillis(700).toNanos());
        assertThat(lines.get(1).atNanos() - lines.get(0).atNanos()).isGreaterThan(Duration.ofMillis(300).toNanos());
        assertThat(comments).contains(": ping");
    }

    @Test
    void execStreamInANamedSandbox() throws Exception {
        f.post("/sandboxes", "{\"name\": \"streamer\"}");
        try {
            HttpResponse<InputStream> resp = open("/sandboxes/streamer/exec/stream", "{\"command\": [\"echo\", \"hi\"]}");
            List<Event> events;
            try (InputStream in = resp.body()) {
                events = read(in, new ArrayList<>());
            }
            assertThat(events.stream().map(Event::name)).contains("output", "done");
            assertThat(events.stream().filter(e -> e.name().equals("output")).findFirst().orElseThrow()
                    .data().get("content").asText()).isEqualTo("hi\n");
            assertThat(events.get(events.size() - 1).data().get("exit_code").asInt()).isZero();
        } finally {
            f.delete("/sandboxes/streamer");
        }
    }

    @Test
    void errorsBeforeTheStreamArePlainJson() throws Exception {
        HttpResponse<InputStream> missing = open("/sandboxes/missing/exec/stream", "{\"command\": [\"echo\"]}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        try (InputStream in = missing.body()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"success\":false,\"error\":\"Sandbox 'missing' not found\",\"code\":\"not_found\","
                            + "\"request_id\":\"" + missing.headers().firstValue("X-Request-Id").orElseThrow() + "\"}");
        }
        HttpResponse<InputStream> bad = open("/run/stream", "{\"command\": ");
        assertThat(bad.statusCode()).isEqualTo(400);
        bad.body().close();
    }

    @Test
    void closingTheClientKillsTheCommandAndRemovesTheSandbox() throws Exception {
        HttpResponse<InputStream> resp = open("/run/stream", "{\"command\": [\"sleep\", \"30\"], \"fast\": false}");
        InputStream in = resp.body();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null && !line.contains("executing")) {
            // wait until the command runs
        }
        // 'executing' is announced just before the command starts: wait until it runs.
        long running = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (fake.execsInFlight().isEmpty() && System.nanoTime() < running) {
            Thread.sleep(10);
        }
        try {
            assertThat(fake.execsInFlight()).isNotEmpty();
        } finally {
            in.close();
        }
        ServerFixture.assertNothingRunning(fake);
    }
}
