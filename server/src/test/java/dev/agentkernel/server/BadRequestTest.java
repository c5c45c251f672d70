package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every kind of bad input gets the right 4xx in the envelope, names the field, and leaves the server up. */
class BadRequestTest {
    @TempDir
    static Path dir;
    static FakeBackend fake;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        fake = new FakeBackend();
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"),
                o -> o.withMaxBodyBytes(64 * 1024), b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static void assertRefused(ServerFixture.Reply r, int status, String code, String mentions) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.get("success").asBoolean()).isFalse();
        assertThat(body.get("code").asText()).isEqualTo(code);
        assertThat(body.get("error").asText()).contains(mentions);
        assertThat(r.body()).doesNotContain("Exception", "at dev.", "at io.", "/home/", "/root/");
        assertThat(f.get("/health").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "/run|{\"command\": [\"echo\"|JSON",
            "/run|[1, 2]|JSON object",
            "/run|\"just a string\"|JSON object",
            "/run|{\"command\": \"echo hi\"}|command",
            "/run|{\"command\": []}|command",
            "/run|{}|command",
            "/run|{\"command\": [\"echo\", 5]}|command",
            "/run|{\"command\": [\"\"]}|command",
            "/run|{\"command\": [\"echo\", \"a\\u0000b\"]}|NUL",
            "/run|{\"command\": [\"echo\"], \"image\": 5}|image",
            "/run|{\"command\": [\"echo\"], \"image\": \"bad image!\"}|image",
            "/run|{\"command\": [\"echo\"], \"profile\": \"godmode\"}|profile",
            "/run|{\"command\": [\"echo\"], \"profile\": 1}|profile",
            "/run|{\"command\": [\"echo\"], \"fast\": \"yes\"}|fast",
            "/run|{\"command\": [\"echo\"], \"vcpus\": \"2\"}|vcpus",
            "/run|{\"command\": [\"echo\"], \"vcpus\": 1.5}|vcpus",
            "/run|{\"command\": [\"echo\"], \"vcpus\": 1000}|vcpus",
            "/run|{\"command\": [\"echo\"], \"memory_mb\": 1}|memory_mb",
            "/run|{\"command\": [\"echo\"], \"memory_mb\": 99999999999}|memory_mb",
            "/run|{\"command\": [\"echo\"], \"env\": 5}|env",
            "/run|{\"command\": [\"echo\"], \"env\": {\"A\": 1}}|env",
            "/run|{\"command\": [\"echo\"], \"env\": [\"NOEQUALS\"]}|env",
            "/run|{\"command\": [\"echo\"], \"env\": {\"1BAD\": \"x\"}}|env",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": \"10\"}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": 0}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"workdir\": \"/a/../b\"}|..",
            "/run|{\"command\": [\"echo\"], \"stdin\": 5}|stdin",
            "/run|{\"command\": [\"echo\"], \"command\": [\"true\"]}|JSON",
            "/run/stream|{\"command\": 5}|command",
            "/batch/run|{\"commands\": []}|commands",
            "/batch/run|{\"commands\": [5]}|commands[0]",
            "/batch/run|{\"commands\": [{\"command\": \"x\"}]}|commands[0].command",
            "/sandboxes|{}|name",
            "/sandboxes|{\"name\": \"\"}|name",
            "/sandboxes|{\"name\": \"-leading\"}|name",
            "/sandboxes|{\"name\": \"a/b\"}|name",
            "/sandboxes|{\"name\": \"a..b\"}|name",
            "/sandboxes|{\"name\": \"\u0430bc\"}|name",
            "/sandboxes|{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}|name",
            "/sandboxes|{\"name\": 5}|name",
            "/sandboxes|{\"name\": \"ok\", \"vcpus\": \"two\"}|vcpus",
            "/sandboxes|{\"name\": \"ok\", \"profile\": \"none\"}|profile",
            "/sandboxes/x/exec|{\"command\": null}|command",
            "/sandboxes/x/exec|{\"command\": [\"true\"], \"sudo\": \"yes\"}|sudo",
            "/sandboxes/x/exec/stream|not json|JSON",
            // every number has an upper bound, refused with 400 (never a 500 from an overflow)
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": 9223372036854775807}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": 86400001}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": 99999999999999999999}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": -9223372036854775808}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"timeout_ms\": 1e30}|timeout_ms",
            "/run|{\"command\": [\"echo\"], \"vcpus\": 65}|vcpus",
            "/run|{\"command\": [\"echo\"], \"memory_mb\": 262145}|memory_mb",
            "/run/stream|{\"command\": [\"echo\"], \"timeout_ms\": 9223372036854775807}|timeout_ms",
            "/sandboxes/x/exec|{\"command\": [\"echo\"], \"timeout_ms\": 9223372036854775807}|timeout_ms",
            "/sandboxes/x/exec/stream|{\"command\": [\"echo\"], \"timeout_ms\": 86400001}|timeout_ms",
            "/batch/run|{\"commands\": [{\"command\": [\"echo\"]}, {\"command\": [\"echo\"], \"timeout_ms\": 9223372036854775807}]}|commands[1].timeout_ms",
            "/sandboxes|{\"name\": \"ok\", \"vcpus\": 65}|vcpus",
            "/sandboxes|{\"name\": \"ok\", \"memory_mb\": 9999999999}|memory_mb",
    })
    void invalidBodiesAre400NamingTheField(String path, String body, String mentions) {
        assertRefused(f.post(path, body), 400, "invalid_request", mentions);
    }

    @Test
    void theLongestTimeoutIsAccepted() {
        assertThat(f.post("/run", "{\"command\": [\"echo\", \"hi\"], \"timeout_ms\": 86400000}").status())
                .isEqualTo(200);
    }

    @ParameterizedTest(name = "limit={0}")
    @CsvSource({"-1", "100001", "99999999999", "1e3", "x"})
    void logLimitsAreBounded(String limit) {
        assertRefused(f.get("/sandboxes/x/logs?limit=" + limit), 400, "invalid_request", "limit");
    }

    @Test
    void deepNestingIsRefusedWithoutHarm() {
        String deep = "{\"command\": [\"echo\"], \"x\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertRefused(f.post("/run", deep), 400, "invalid_request", "nested");
    }

    @Test
    void hugeBodiesAre413() {
        String huge = "{\"command\": [\"echo\", \"" + "a".repeat(100 * 1024) + "\"]}";
        assertRefused(f.post("/run", huge), 413, "payload_too_large", "too large");
        assertRefused(f.put("/sandboxes/x/files/tmp/big", "{\"content\": \"" + "a".repeat(100 * 1024) + "\"}"),
                413, "payload_too_large", "too large");
    }

    @Test
    void nonJsonBodiesAre415() {
        assertRefused(f.send("POST", "/run", "{\"command\": [\"echo\"]}", "text/plain", Map.of()), 415,
                "invalid_request", "application/json");
        assertRefused(f.send("POST", "/run", "command=echo", "application/x-www-form-urlencoded", Map.of()), 415,
                "invalid_request", "application/json");
        assertRefused(f.send("POST", "/run", "{\"command\": [\"echo\"]}", null, Map.of()), 415,
                "invalid_request", "application/json");
        // A cross-site form cannot stop a sandbox either.
        assertRefused(f.send("POST", "/sandboxes/x/stop", "a=b", "application/x-www-form-urlencoded", Map.of()), 415,
                "invalid_request", "application/json");
        // With the right type and charset it is accepted.
        assertThat(f.send("POST", "/run", "{\"command\": [\"echo\"]}", "application/json; charset=utf-8", Map.of())
                .status()).isEqualTo(200);
    }

    @Test
    void badNamesInPathsAre400() {
        for (String p : List.of("/sandboxes/-x", "/sandboxes/a..b", "/sandboxes/%D0%B0bc", "/sandboxes/a%00b")) {
            ServerFixture.Reply r = f.get(p);
            assertThat(r.status()).as(p).isEqualTo(400);
            assertThat(r.json().get("code").asText()).isEqualTo("invalid_request");
        }
    }

    @Test
    void badFilePathsAre400() {
        f.post("/sandboxes", "{\"name\": \"paths\"}");
        try {
            for (String p : List.of("/sandboxes/paths/files/tmp/a%00b", "/sandboxes/paths/files/tmp/a%0Ab",
                    "/sandboxes/paths/files/%2F")) {
                ServerFixture.Reply r = f.get(p);
                assertThat(r.status()).as(p).isEqualTo(400);
                assertThat(r.json().get("error").asText()).as(p).startsWith("Invalid path");
            }
            String raw = f.raw("GET /sandboxes/paths/files/tmp/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertThat(raw).startsWith("HTTP/1.1 400");
        } finally {
            f.delete("/sandboxes/paths");
        }
    }

    @Test
    void badFileContentIs400() {
        f.post("/sandboxes", "{\"name\": \"content\"}");
        try {
            assertRefused(f.put("/sandboxes/content/files/tmp/a", "{\"content\": \"%%%\", \"encoding\": \"base64\"}"),
                    400, "invalid_request", "base64");
            assertRefused(f.put("/sandboxes/content/files/tmp/a", "{\"content\": \"x\", \"encoding\": \"latin1\"}"),
                    400, "invalid_request", "encoding");
            assertRefused(f.put("/sandboxes/content/files/tmp/a", "{\"data\": \"x\"}"), 400, "invalid_request",
                    "content");
        } finally {
            f.delete("/sandboxes/content");
        }
    }

    @Test
    void noContainerLeaksAfterBadRequests() {
        int before = fake.names().size();
        f.post("/run", "{\"command\": [\"\"]}");
        f.post("/run", "{\"command\": [\"echo\"], \"vcpus\": 0}");
        f.post("/sandboxes", "{\"name\": \"-bad\"}");
        assertThat(fake.names()).hasSize(before);
    }
}
