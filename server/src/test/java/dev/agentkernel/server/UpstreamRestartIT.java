package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What must survive a crash of the server (SIGKILL, no shutdown hook): a detached command started before it runs on
 * in its sandbox, and the next server reports its status, exit code and output; the sandbox's uuid and its TTL are
 * the same after the restart (and the uuid after stop/start).
 */
class UpstreamRestartIT {
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void detachedCommandsUuidAndTtlSurviveAServerCrash() throws Exception {
        String name = "restart-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        ServerChild first = ServerChild.start(dir, "", Map.of());
        ServerChild second = null;
        try {
            assertThat(call(first, "POST", "/sandboxes", "{\"name\":\"" + name
                    + "\",\"image\":\"agentkernel/busybox:local\",\"ttl\":\"2h\"}").statusCode()).isEqualTo(201);
            JsonNode before = data(call(first, "GET", "/sandboxes/" + name, null));
            String uuid = before.get("uuid").asText();
            String expires = before.get("expires_at").asText();
            JsonNode started = data(call(first, "POST", "/sandboxes/" + name + "/exec/detach",
                    "{\"command\":[\"sh\",\"-c\",\"echo before; echo oops >&2; sleep 3; echo after; exit 5\"]}"));
            String id = started.get("id").asText();
            assertThat(started.get("status").asText()).isEqualTo("running");

            first.kill9();

            second = ServerChild.start(dir, String.valueOf(first.pid()), Map.of());
            JsonNode status = data(call(second, "GET", "/sandboxes/" + name + "/exec/detached/" + id, null));
            assertThat(status.get("command").get(2).asText()).contains("echo before");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (status.get("status").asText().equals("running") && System.nanoTime() < deadline) {
                Thread.sleep(200);
                status = data(call(second, "GET", "/sandboxes/" + name + "/exec/detached/" + id, null));
            }
            assertThat(status.get("status").asText()).isEqualTo("failed");
            assertThat(status.get("exit_code").asInt()).isEqualTo(5);
            assertThat(data(call(second, "GET", "/sandboxes/" + name + "/exec/detached/" + id + "/logs", null))
                    .get("stdout").asText()).isEqualTo("before\nafter\n");
            assertThat(data(call(second, "GET", "/sandboxes/" + name + "/exec/detached/" + id + "/logs?stream=stderr",
                    null)).get("stderr").asText()).isEqualTo("oops\n");

            JsonNode after = data(call(second, "GET", "/sandboxes/" + name, null));
            assertThat(after.get("uuid").asText()).isEqualTo(uuid);
            assertThat(after.get("expires_at").asText()).isEqualTo(expires);
            assertThat(data(call(second, "GET", "/sandboxes/by-uuid/" + uuid, null)).get("name").asText()).isEqualTo(name);

            // Stop kills what runs in the sandbox, detached commands included; the identity stays.
            data(call(second, "POST", "/sandboxes/" + name + "/exec/detach", "{\"command\":[\"sleep\",\"300\"]}"));
            assertThat(call(second, "POST", "/sandboxes/" + name + "/stop", null).statusCode()).isEqualTo(200);
            assertThat(data(call(second, "GET", "/sandboxes/" + name + "/exec/detached", null))).isEmpty();
            assertThat(call(second, "POST", "/sandboxes/" + name + "/start", null).statusCode()).isEqualTo(200);
            assertThat(data(call(second, "GET", "/sandboxes/" + name, null)).get("uuid").asText()).isEqualTo(uuid);
            assertThat(data(call(second, "GET", "/sandboxes/" + name + "/exec/detached", null))).isEmpty();
            assertThat(call(second, "DELETE", "/sandboxes/" + name, null).statusCode()).isEqualTo(200);
        } finally {
            if (second != null) {
                second.close();
            }
            first.close();
            EngineView.remove(EngineView.containersNamed(name));
        }
    }

    private static JsonNode data(HttpResponse<String> r) throws Exception {
        JsonNode body = Wire.MAPPER.readTree(r.body());
        assertThat(body.get("success").asBoolean()).as("%s", r.body()).isTrue();
        return body.get("data");
    }

    private HttpResponse<String> call(ServerChild c, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(c.url() + path)).timeout(Duration.ofSeconds(120));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
