package dev.agentkernel.security;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every field of every route with wrong types, sizes, NUL, look-alike names, deep nesting, huge bodies, wrong
 * methods and wrong content types: a clear 4xx in the envelope, never a 5xx, and nothing created.
 */
@SuiteKind(Kind.VALIDATION)
class ValidationIT extends SuiteBase {
    /** Any 4xx is right (e.g. a huge value may be 400 or 413). */
    static final int ANY_4XX = 0;
    static String box;

    @BeforeAll
    static void createTarget() {
        RawHttp http = SuiteServer.shared().http;
        box = "val-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        RawHttp.Response r = http.post("/sandboxes", "{\"name\":\"" + box + "\",\"image\":\"" + SuiteServer.BUSYBOX + "\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    @AfterAll
    static void removeTarget() {
        SuiteServer.shared().http.delete("/sandboxes/" + box);
    }

    record Case(String label, String method, String path, String body, int expected) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static final String BIG = "x".repeat(70_000);
    private static final String DEEP = "[".repeat(2000) + "]".repeat(2000);

    /** Field values that are wrong for a string field. */
    private static final String[][] NOT_STRING = {{"number", "5"}, {"boolean", "true"}, {"array", "[\"a\"]"},
            {"object", "{\"a\":1}"}};
    private static final String[][] NOT_INT = {{"string", "\"2\""}, {"float", "1.5"}, {"negative", "-1"},
            {"zero", "0"}, {"huge", "1099511627776"}, {"boolean", "true"}, {"array", "[1]"}};

    static Stream<Case> bodyCases() {
        List<Case> c = new ArrayList<>();
        String ex = "/sandboxes/{box}/exec";
        // command: the same rules on /run, /run/stream, exec, exec/stream and in batch items
        for (String[] route : new String[][]{{"POST", "/run"}, {"POST", "/run/stream"}, {"POST", ex},
                {"POST", ex + "/stream"}}) {
            String p = route[1];
            c.add(new Case(p + " no command", "POST", p, "{}", 400));
            c.add(new Case(p + " command string", "POST", p, "{\"command\":\"ls -la\"}", 400));
            c.add(new Case(p + " command empty", "POST", p, "{\"command\":[]}", 400));
            c.add(new Case(p + " command [1]", "POST", p, "{\"command\":[1]}", 400));
            c.add(new Case(p + " command [null]", "POST", p, "{\"command\":[null]}", 400));
            c.add(new Case(p + " command nested", "POST", p, "{\"command\":[[\"ls\"]]}", 400));
            c.add(new Case(p + " command NUL", "POST", p, "{\"command\":[\"echo\",\"a\\u0000b\"]}", 400));
            c.add(new Case(p + " command empty program", "POST", p, "{\"command\":[\"\"]}", 400));
            c.add(new Case(p + " env number", "POST", p, "{\"command\":[\"true\"],\"env\":5}", 400));
            c.add(new Case(p + " env value number", "POST", p, "{\"command\":[\"true\"],\"env\":{\"A\":1}}", 400));
            c.add(new Case(p + " env bad array item", "POST", p, "{\"command\":[\"true\"],\"env\":[\"NOEQUALS\"]}", 400));
            c.add(new Case(p + " env empty name", "POST", p, "{\"command\":[\"true\"],\"env\":{\"\":\"x\"}}", 400));
            c.add(new Case(p + " env name with =", "POST", p, "{\"command\":[\"true\"],\"env\":{\"A=B\":\"x\"}}", 400));
            c.add(new Case(p + " env NUL value", "POST", p, "{\"command\":[\"true\"],\"env\":{\"A\":\"x\\u0000\"}}", 400));
            c.add(new Case(p + " workdir number", "POST", p, "{\"command\":[\"true\"],\"workdir\":5}", 400));
            c.add(new Case(p + " workdir with ..", "POST", p, "{\"command\":[\"true\"],\"workdir\":\"/tmp/../etc\"}", 400));
            c.add(new Case(p + " workdir control char", "POST", p, "{\"command\":[\"true\"],\"workdir\":\"/tmp/\\u001b\"}", 400));
            c.add(new Case(p + " workdir NUL", "POST", p, "{\"command\":[\"true\"],\"workdir\":\"/tmp\\u0000\"}", 400));
            c.add(new Case(p + " timeout negative", "POST", p, "{\"command\":[\"true\"],\"timeout_ms\":-1}", 400));
            c.add(new Case(p + " timeout string", "POST", p, "{\"command\":[\"true\"],\"timeout_ms\":\"10\"}", 400));
            c.add(new Case(p + " stdin number", "POST", p, "{\"command\":[\"true\"],\"stdin\":5}", 400));
        }
        for (String p : List.of("/run", "/run/stream")) {
            for (String[] v : NOT_STRING) {
                c.add(new Case(p + " image " + v[0], "POST", p, "{\"command\":[\"true\"],\"image\":" + v[1] + "}", 400));
                c.add(new Case(p + " profile " + v[0], "POST", p, "{\"command\":[\"true\"],\"profile\":" + v[1] + "}", 400));
            }
            c.add(new Case(p + " profile unknown", "POST", p, "{\"command\":[\"true\"],\"profile\":\"god\"}", 400));
            c.add(new Case(p + " profile empty", "POST", p, "{\"command\":[\"true\"],\"profile\":\"\"}", 400));
            c.add(new Case(p + " fast string", "POST", p, "{\"command\":[\"true\"],\"fast\":\"yes\"}", 400));
            c.add(new Case(p + " fast number", "POST", p, "{\"command\":[\"true\"],\"fast\":1}", 400));
        }
        // image names
        for (String img : List.of("", "UPPER/Case", "../../etc", "a b", "busybox\\u0000", "-rf", "a:b:c:d",
                "http://evil.example/x", "x".repeat(300))) {
            c.add(new Case("/run image '" + shortLabel(img) + "'", "POST", "/run",
                    "{\"command\":[\"true\"],\"image\":\"" + img + "\"}", 400));
        }
        // create: name, image, limits, profile
        for (String[] v : NOT_STRING) {
            c.add(new Case("create name " + v[0], "POST", "/sandboxes", "{\"name\":" + v[1] + "}", 400));
        }
        c.add(new Case("create no name", "POST", "/sandboxes", "{\"image\":\"" + SuiteServer.BUSYBOX + "\"}", 400));
        for (String[] n : new String[][]{{"empty", ""}, {"too long", "a".repeat(300)}, {"leading dash", "-rf"},
                {"slash", "a/b"}, {"dot", "."}, {"dots", ".."}, {"space", "a b"}, {"NUL", "a\\u0000b"},
                {"newline", "a\\nb"}, {"cyrillic s look-alike", "\u0455andbox"}, {"zero-width space", "sand\u200bbox"},
                {"fullwidth", "\uff53\uff41\uff4e\uff44"}, {"combining accent", "a\u0301"}, {"RTL override", "a\u202eb"},
                {"backslash", "a\\\\b"}, {"colon", "a:b"}, {"percent", "a%2fb"}, {"emoji", "\ud83d\ude00"}}) {
            c.add(new Case("create name " + n[0], "POST", "/sandboxes", "{\"name\":\"" + n[1] + "\"}", 400));
        }
        for (String[] v : NOT_INT) {
            c.add(new Case("create vcpus " + v[0], "POST", "/sandboxes", "{\"name\":\"v-ok\",\"vcpus\":" + v[1] + "}", 400));
            c.add(new Case("create memory_mb " + v[0], "POST", "/sandboxes", "{\"name\":\"v-ok\",\"memory_mb\":" + v[1] + "}", 400));
        }
        c.add(new Case("create vcpus 1000", "POST", "/sandboxes", "{\"name\":\"v-ok\",\"vcpus\":1000}", 400));
        c.add(new Case("create memory_mb 1", "POST", "/sandboxes", "{\"name\":\"v-ok\",\"memory_mb\":1}", 400));
        c.add(new Case("create memory_mb 10^7", "POST", "/sandboxes", "{\"name\":\"v-ok\",\"memory_mb\":10000000}", 400));
        c.add(new Case("create profile unknown", "POST", "/sandboxes", "{\"name\":\"v-ok\",\"profile\":\"root\"}", 400));
        c.add(new Case("create image number", "POST", "/sandboxes", "{\"name\":\"v-ok\",\"image\":7}", 400));
        // files
        String f = "/sandboxes/{box}/files/tmp/v.txt";
        c.add(new Case("write no content", "PUT", f, "{}", 400));
        for (String[] v : NOT_STRING) {
            c.add(new Case("write content " + v[0], "PUT", f, "{\"content\":" + v[1] + "}", 400));
            c.add(new Case("write encoding " + v[0], "PUT", f, "{\"content\":\"x\",\"encoding\":" + v[1] + "}", 400));
        }
        c.add(new Case("write encoding utf16", "PUT", f, "{\"content\":\"x\",\"encoding\":\"utf16\"}", 400));
        c.add(new Case("write bad base64", "PUT", f, "{\"content\":\"!!!*\",\"encoding\":\"base64\"}", 400));
        // batch
        c.add(new Case("batch no commands", "POST", "/batch/run", "{}", 400));
        c.add(new Case("batch commands empty", "POST", "/batch/run", "{\"commands\":[]}", 400));
        c.add(new Case("batch commands string", "POST", "/batch/run", "{\"commands\":\"ls\"}", 400));
        c.add(new Case("batch item number", "POST", "/batch/run", "{\"commands\":[5]}", 400));
        c.add(new Case("batch item command string", "POST", "/batch/run", "{\"commands\":[{\"command\":\"ls\"}]}", 400));
        c.add(new Case("batch item bad profile", "POST", "/batch/run",
                "{\"commands\":[{\"command\":[\"true\"]},{\"command\":[\"true\"],\"profile\":\"x\"}]}", 400));
        // malformed JSON and odd documents
        for (String[] m : new String[][]{{"truncated", "{\"command\":[\"ls\""}, {"array body", "[\"ls\"]"},
                {"string body", "\"ls\""}, {"null body", "null"}, {"number body", "42"}, {"empty body", ""},
                {"trailing garbage", "{\"command\":[\"true\"]} x"}, {"duplicate key", "{\"command\":[\"true\"],\"command\":[\"id\"]}"},
                {"single quotes", "{'command':['ls']}"}, {"comment", "{/*x*/\"command\":[\"true\"]}"},
                {"NaN", "{\"command\":[\"true\"],\"timeout_ms\":NaN}"}, {"deep nesting", "{\"command\":[\"true\"],\"x\":" + DEEP + "}"},
                {"deep object nesting", "{\"command\":[\"true\"],\"x\":" + "{\"a\":".repeat(2000) + "1" + "}".repeat(2000) + "}"}}) {
            c.add(new Case("/run " + m[0], "POST", "/run", m[1], 400));
        }
        c.add(new Case("/run huge argument", "POST", "/run", "{\"command\":[\"echo\",\"" + "y".repeat(3_000_000) + "\"]}", ANY_4XX));
        c.add(new Case("/run 100k arguments", "POST", "/run", "{\"command\":[" + "\"a\",".repeat(100_000) + "\"a\"]}", ANY_4XX));
        c.add(new Case("/run huge env", "POST", "/run", "{\"command\":[\"true\"],\"env\":{\"A\":\"" + BIG.repeat(40) + "\"}}", ANY_4XX));
        return c.stream();
    }

    private static String shortLabel(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "..." : s;
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("bodyCases")
    void badBodyRefused(Case c) {
        int before = Engine.count(SuiteServer.owner());
        String path = c.path().replace("{box}", box);
        RawHttp.Response r = bad(http().request(c.method(), path).json(c.body()).send());
        if (c.expected() == ANY_4XX) {
            assertThat(r.status()).as(r.text()).isBetween(400, 499);
        } else {
            assertThat(r.status()).as(SuiteBase.abbreviate(r.text())).isEqualTo(c.expected());
        }
        assertThat(r.json().path("error").asText()).isNotBlank();
        assertThat(Engine.count(SuiteServer.owner())).isEqualTo(before);
    }

    static Stream<Arguments> wrongMethods() {
        return Stream.of(Arguments.of("GET", "/run"), Arguments.of("PUT", "/run"), Arguments.of("DELETE", "/run"),
                Arguments.of("PATCH", "/run"), Arguments.of("GET", "/run/stream"), Arguments.of("GET", "/batch/run"),
                Arguments.of("POST", "/health"), Arguments.of("DELETE", "/health"), Arguments.of("PUT", "/sandboxes"),
                Arguments.of("DELETE", "/sandboxes"), Arguments.of("PATCH", "/sandboxes/{box}"),
                Arguments.of("PUT", "/sandboxes/{box}/exec"), Arguments.of("GET", "/sandboxes/{box}/exec"),
                Arguments.of("GET", "/sandboxes/{box}/stop"), Arguments.of("POST", "/sandboxes/{box}/files/tmp/x"),
                Arguments.of("POST", "/sandboxes/{box}/logs"), Arguments.of("TRACE", "/sandboxes"));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("wrongMethods")
    void wrongMethod405(String method, String path) {
        RawHttp.Response r = bad(http().request(method, path.replace("{box}", box)).send());
        assertThat(r.status()).as(r.text()).isEqualTo(405);
        assertThat(r.header("Allow")).isNotBlank();
    }

    static Stream<Arguments> wrongContentTypes() {
        return Stream.of("text/plain", "text/json", "application/jsonx", "application/json-patch+json",
                        "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/xml", "*/*", "")
                .flatMap(t -> Stream.of(Arguments.of(t, "POST", "/run"), Arguments.of(t, "POST", "/sandboxes")));
    }

    @ParameterizedTest(name = "[{index}] {0} on {1} {2}")
    @MethodSource("wrongContentTypes")
    void wrongContentType415(String type, String method, String path) {
        RawHttp.Request req = http().request(method, path).body("{\"command\":[\"true\"],\"name\":\"ct-x\"}"
                .getBytes(StandardCharsets.UTF_8));
        if (!type.isEmpty()) {
            req.header("Content-Type", type);
        }
        RawHttp.Response r = bad(req.send());
        assertThat(r.status()).as(r.text()).isEqualTo(415);
    }

    @Test
    void bodyOverLimitByLength413() {
        byte[] huge = new byte[(int) server().config.server().maxBodyBytes() + 1024];
        java.util.Arrays.fill(huge, (byte) ' ');
        RawHttp.Response r = bad(http().request("POST", "/run").header("Content-Type", "application/json").body(huge).send());
        assertThat(r.status()).isEqualTo(413);
    }

    @Test
    void bodyOverLimitChunked413() {
        int limit = (int) server().config.server().maxBodyBytes();
        java.io.ByteArrayOutputStream chunked = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, (byte) ' ');
        for (int sent = 0; sent <= limit; sent += chunk.length) {
            chunked.writeBytes((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.writeBytes(chunk);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        RawHttp.Response r = bad(http().request("POST", "/run").header("Content-Type", "application/json")
                .header("Transfer-Encoding", "chunked").noAutoLength().body(chunked.toByteArray()).send());
        assertThat(r.status()).isEqualTo(413);
    }

    @Test
    void invalidUtf8Body400() {
        byte[] body = {'{', '"', 'c', 'o', 'm', 'm', 'a', 'n', 'd', '"', ':', '[', '"', (byte) 0xc0, (byte) 0xaf, '"', ']', '}'};
        RawHttp.Response r = bad(http().request("POST", "/run").header("Content-Type", "application/json").body(body).send());
        assertThat(r.status()).isEqualTo(400);
    }

    static Stream<String> badNamesInPath() {
        return Stream.of("%D1%95andbox", "-rf", "a%00b", "a%0Ab", "%E2%80%AEx", "..%2F..", "a%20b", "x".repeat(300));
    }

    @ParameterizedTest(name = "[{index}] GET /sandboxes/{0}")
    @MethodSource("badNamesInPath")
    void badNameInPath400(String name) {
        RawHttp.Response r = bad(http().get("/sandboxes/" + name));
        assertThat(r.status()).as(r.text()).isEqualTo(400);
    }

    @Test
    void unknownSandbox404() {
        RawHttp.Response r = bad(http().get("/sandboxes/no-such-sandbox-here"));
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().path("error").asText()).isEqualTo("Sandbox 'no-such-sandbox-here' not found");
    }

    @Test
    void unknownFieldsAreIgnored() {
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec", cmd("\"surprise\":{\"a\":[1,2]}", "echo", "ok")));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.data().path("output").asText()).isEqualTo("ok\n");
    }
}
