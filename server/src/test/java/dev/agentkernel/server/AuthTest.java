package dev.agentkernel.server;

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

/** With an API key every route needs it, as X-API-Key or Bearer; refusals are audited and never echo the key. */
class AuthTest {
    static final String KEY = "s3cret-key-for-tests";
    @TempDir
    static Path dir;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        f = new ServerFixture(new FakeBackend(), ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o.withApiKey(KEY), b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static ServerFixture.Reply health(Map<String, List<String>> headers) {
        return f.send("GET", "/health", null, null, headers);
    }

    @Test
    void everyRouteNeedsTheKey() {
        for (ApiRoute op : ApiRoute.values()) {
            String path = op.template().replace("{name}", "x").replace("{path}", "tmp/a")
                    .replace("{uuid}", "01890000-0000-7000-8000-000000000000").replace("{id}", "abc")
                    .replaceAll("\\{[a-z_]+}", "x"); // every other parameter (snapshot, volume, secret key)
            ServerFixture.Reply r = f.send(op.method().name(), path, op.jsonBody() ? "{}" : null,
                    op.jsonBody() ? "application/json" : null, Map.of("no-key", List.of("")));
            assertThat(r.status()).as(op.name()).isEqualTo(401);
            if (op.method() != io.vertx.core.http.HttpMethod.HEAD) { // a HEAD answer has no body
                assertThat(r.json().get("code").asText()).isEqualTo("unauthorized");
            }
        }
        assertThat(f.send("GET", "/nope", null, null, Map.of("no-key", List.of(""))).status()).isEqualTo(401);
    }

    @Test
    void wrongNearMissEmptyOrDuplicatedKeysAreRefused() {
        for (Map<String, List<String>> h : List.of(
                Map.of("X-API-Key", List.of("wrong")),
                Map.of("X-API-Key", List.of(KEY + "x")),
                Map.of("X-API-Key", List.of(KEY.substring(1))),
                Map.of("X-API-Key", List.of(KEY.toUpperCase())),
                Map.of("X-API-Key", List.of(KEY, KEY)),
                Map.of("Authorization", List.of("Basic " + KEY)),
                Map.of("Authorization", List.of("Bearer wrong")),
                Map.of("X-API-Key", List.of(KEY), "Authorization", List.of("Bearer " + KEY)))) {
            ServerFixture.Reply r = health(h);
            assertThat(r.status()).as(h.toString()).isEqualTo(401);
            assertThat(r.body()).doesNotContain(KEY).contains("\"success\":false");
        }
        String empty = f.raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-API-Key: \r\nConnection: close\r\n\r\n");
        assertThat(empty).startsWith("HTTP/1.1 401");
    }

    @Test
    void xApiKeyAndBearerAreAccepted() {
        assertThat(health(Map.of("X-API-Key", List.of(KEY))).status()).isEqualTo(200);
        assertThat(health(Map.of("Authorization", List.of("Bearer " + KEY))).status()).isEqualTo(200);
        assertThat(health(Map.of("Authorization", List.of("bearer " + KEY))).status()).isEqualTo(200);
        assertThat(f.post("/run", "{\"command\": [\"echo\", \"hi\"]}").status()).isEqualTo(200);
    }

    @Test
    void refusalsAreAuditedWithoutTheKey() {
        health(Map.of("X-API-Key", List.of("guess-" + KEY)));
        // On disk before the answer came back.
        List<String> lines = AuditFiles.lines(dir.resolve("audit.jsonl"));
        assertThat(lines).anyMatch(l -> l.contains("\"auth_failed\"") && l.contains("wrong API key"));
        assertThat(lines).noneMatch(l -> l.contains(KEY));
    }
}
