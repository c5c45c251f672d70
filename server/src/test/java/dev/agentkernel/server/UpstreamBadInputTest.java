package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.Capability;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input for every field of the upstream 0.18 routes (durations, uuids, ids, file maps, streams) is a 400 naming
 * the field; nothing is created or written; a backend without detached commands answers 501 naming the capability.
 */
class UpstreamBadInputTest {
    @TempDir
    static Path dir;
    static FakeBackend fake;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        fake = new FakeBackend();
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"), o -> o, b -> b);
        assertThat(f.post("/sandboxes", "{\"name\": \"sb\"}").status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static void assertRefused(ServerFixture.Reply r, int status, String mentions) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode body = r.json();
        assertThat(body.get("success").asBoolean()).isFalse();
        assertThat(body.get("error").asText()).contains(mentions);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "/sandboxes|{\"name\": \"t1\", \"ttl\": \"soon\"}|ttl",
            "/sandboxes|{\"name\": \"t2\", \"ttl\": \"0\"}|ttl",
            "/sandboxes|{\"name\": \"t3\", \"ttl\": \"400d\"}|ttl",
            "/sandboxes|{\"name\": \"t4\", \"ttl\": -5}|ttl",
            "/sandboxes|{\"name\": \"t5\", \"ttl\": true}|ttl",
            "/sandboxes|{\"name\": \"t6\", \"ttl\": \"1h-1m\"}|ttl",
            "/sandboxes/sb/extend|{\"by\": \"later\"}|by",
            "/sandboxes/sb/extend|{\"by\": \"2w\"}|by",
            "/sandboxes/sb/extend|{\"by\": 0}|by",
            "/sandboxes/sb/extend|{\"by\": [1]}|by",
            "/sandboxes/sb/files|{}|files",
            "/sandboxes/sb/files|{\"files\": {}}|files",
            "/sandboxes/sb/files|{\"files\": [\"/a\"]}|files",
            "/sandboxes/sb/files|{\"files\": {\"/a\": 5}}|files",
            "/sandboxes/sb/files|{\"files\": {\"/tmp/ok\": \"x\", \"/tmp/../etc/passwd\": \"x\"}}|files",
            "/sandboxes/sb/files|{\"files\": {\"/tmp/ok\": \"x\", \"/tmp\\u0000x\": \"x\"}}|files",
            "/sandboxes/sb/exec/detach|{}|command",
            "/sandboxes/sb/exec/detach|{\"command\": \"sleep 1\"}|command",
            "/sandboxes/sb/exec/detach|{\"command\": [\"sleep\"], \"sudo\": \"yes\"}|sudo",
            "/sandboxes/sb/exec/detach|{\"command\": [\"sleep\"], \"workdir\": \"/a/../b\"}|..",
            "/sandboxes/sb/exec/detach|{\"command\": [\"sleep\"], \"timeout_ms\": 0}|timeout_ms",
    })
    void badBodiesAre400NamingTheField(String path, String body, String mentions) {
        int before = fake.createCount();
        assertRefused(f.post(path, body), 400, mentions);
        assertThat(fake.createCount()).as("nothing created").isEqualTo(before);
        assertThat(fake.names()).doesNotContain("t1", "t2", "t3", "t4", "t5", "t6");
    }

    @Test
    void aBadPathInABulkWriteWritesNothing() {
        assertRefused(f.post("/sandboxes/sb/files", "{\"files\": {\"/tmp/first\": \"1\", \"/tmp/../x\": \"2\"}}"),
                400, "files");
        assertThat(f.get("/sandboxes/sb/files/tmp/first").status()).isEqualTo(404);
    }

    @Test
    void badUuidsIdsAndStreams() {
        assertRefused(f.get("/sandboxes/by-uuid/not-a-uuid"), 400, "uuid");
        assertRefused(f.get("/sandboxes/by-uuid/0189-0000"), 400, "uuid");
        assertRefused(f.get("/sandboxes/by-uuid/01890000-0000-7000-8000-000000000000"), 404, "not found");
        assertRefused(f.get("/sandboxes/sb/exec/detached/bad%20id"), 400, "detached command id");
        assertRefused(f.get("/sandboxes/sb/exec/detached/" + "a".repeat(65)), 400, "detached command id");
        assertRefused(f.get("/sandboxes/sb/exec/detached/abc/logs?stream=both"), 400, "stream");
        assertRefused(f.post("/sandboxes/bad..name/extend", "{}"), 400, "name");
        assertRefused(f.post("/sandboxes/missing/extend", "{}"), 404, "missing");
    }

    @Test
    void extendAndUuidWorkOnAnyBackend() {
        JsonNode info = f.get("/sandboxes/sb").json().get("data");
        String uuid = info.get("uuid").asText();
        assertThat(f.get("/sandboxes/by-uuid/" + uuid.toUpperCase()).json().at("/data/name").asText()).isEqualTo("sb");
        JsonNode extended = f.post("/sandboxes/sb/extend", "{}").json().get("data");
        java.time.Instant at = java.time.Instant.parse(extended.get("expires_at").asText());
        assertThat(at).isBetween(java.time.Instant.now().plusSeconds(3590), java.time.Instant.now().plusSeconds(3610));
        assertThat(f.get("/sandboxes/sb").json().at("/data/expires_at").asText()).isEqualTo(at.toString());
    }

    @Test
    void detachedCommandsOnABackendWithoutThemAre501() {
        assertThat(fake.capabilities()).doesNotContain(Capability.DETACHED_COMMANDS);
        assertRefused(f.post("/sandboxes/sb/exec/detach", "{\"command\": [\"sleep\", \"1\"]}"), 501, "detached_commands");
        assertRefused(f.get("/sandboxes/sb/exec/detached"), 501, "detached_commands");
    }

    @Test
    void sudoIsRefusedInTheRestrictiveProfile() {
        assertThat(f.post("/sandboxes", "{\"name\": \"strict\", \"profile\": \"restrictive\"}").status()).isEqualTo(201);
        assertRefused(f.post("/sandboxes/strict/exec", "{\"command\": [\"id\"], \"sudo\": true}"), 403, "restrictive");
        assertRefused(f.post("/sandboxes/strict/exec/detach", "{\"command\": [\"id\"], \"sudo\": true}"), 403,
                "restrictive");
    }
}
