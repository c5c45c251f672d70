package dev.agentkernel.server;

import dev.agentkernel.testkit.EngineView;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server killed with SIGKILL during a run, then started again: named sandboxes are listed as before; the
 * temporary and pool containers of the dead instance are removed.
 */
class RestartAfterKillIT {
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void namedSandboxesSurviveAndTemporariesOfTheDeadInstanceAreReaped() throws Exception {
        String named = "survivor-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        List<String> owners = new ArrayList<>();
        ServerChild first = null;
        ServerChild second = null;
        try {
            first = startChild("");
            owners.add(first.owner());
            assertThat(call(first, "POST", "/sandboxes", "{\"name\": \"" + named
                    + "\", \"image\": \"agentkernel/busybox:local\"}").statusCode()).isEqualTo(201);

            // A run in progress when the server dies.
            HttpResponse<InputStream> stream = http.send(request(first, "POST", "/run/stream",
                    "{\"image\": \"agentkernel/busybox:local\", \"fast\": false, \"command\": [\"sleep\", \"300\"]}"),
                    HttpResponse.BodyHandlers.ofInputStream());
            String temporary = null;
            BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.contains("executing")) {
                if (line.startsWith("data: ") && line.contains("sandbox")) {
                    temporary = Wire.MAPPER.readTree(line.substring(6)).get("sandbox").asText();
                }
            }
            assertThat(temporary).isNotNull();
            awaitPool(first);
            List<String> leftByFirst = EngineView.containersOf(first.owner());

            first.kill9(); // SIGKILL: no shutdown hook runs
            stream.body().close();
            assertThat(EngineView.containersOf(first.owner())).as("the dead server's containers, before restart")
                    .containsExactlyInAnyOrderElementsOf(leftByFirst).hasSizeGreaterThanOrEqualTo(3);

            second = startChild(String.valueOf(first.pid()));
            owners.add(second.owner());
            JsonNode list = Wire.MAPPER.readTree(call(second, "GET", "/sandboxes", null).body()).get("data");
            JsonNode survivor = null;
            for (JsonNode s : list) {
                if (s.get("name").asText().equals(named)) {
                    survivor = s;
                }
            }
            assertThat(survivor).as("named sandbox listed after the restart").isNotNull();
            assertThat(survivor.get("status").asText()).isEqualTo("running");
            assertThat(EngineView.containersNamed(temporary)).as("temporary of the dead instance").isEmpty();
            // Only the named sandbox is left of everything the dead instance made.
            assertThat(EngineView.containersOf(first.owner())).hasSize(1);
            assertThat(Wire.MAPPER.readTree(call(second, "POST", "/sandboxes/" + named + "/exec",
                    "{\"command\": [\"echo\", \"still here\"]}").body()).at("/data/output").asText()).isEqualTo("still here\n");
            assertThat(call(second, "DELETE", "/sandboxes/" + named, null).statusCode()).isEqualTo(200);

            second.jvm().process().destroy(); // SIGTERM: graceful, drains the pool
            assertThat(second.jvm().process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(EngineView.containersOf(second.owner())).as("after a graceful stop").isEmpty();
            assertThat(EngineView.containersOf(first.owner())).isEmpty();
        } finally {
            for (ServerChild c : new ServerChild[]{first, second}) {
                if (c != null && c.jvm().process().isAlive()) {
                    c.jvm().process().destroyForcibly();
                }
            }
            owners.forEach(EngineView::removeAllOf);
        }
    }

    private void awaitPool(ServerChild c) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode pool = Wire.MAPPER.readTree(call(c, "GET", "/pool", null).body()).get("data");
            if (pool.get("size").asInt() > 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the pool never warmed");
    }

    /** The server with a warm pool of one, so that the dead instance leaves pool containers behind. */
    private ServerChild startChild(String reapPids) {
        return ServerChild.start(dir, reapPids, Map.of("AGENTKERNEL_POOL_SIZE", "1"));
    }

    private HttpRequest request(ServerChild c, String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + path))
                .timeout(Duration.ofSeconds(120));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private HttpResponse<String> call(ServerChild c, String method, String path, String json) throws Exception {
        return http.send(request(c, method, path, json), HttpResponse.BodyHandlers.ofString());
    }
}
