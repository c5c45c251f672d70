package dev.agentkernel.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API wall: only callers with the key act; the key is never echoed or logged; a web page cannot drive the
 * API (Host allowlist against DNS rebinding, JSON-only bodies against cross-site simple POSTs, no CORS).
 */
@SuiteKind(Kind.AUTH)
class AuthIT extends SuiteBase {
    /** Everything the server process prints to stderr (its log), to prove the key never appears there. */
    private static final ByteArrayOutputStream LOG = teeStderr();

    private static ByteArrayOutputStream teeStderr() {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream original = System.err;
        System.setErr(new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }
        }, true));
        return copy;
    }

    record Cred(String label, Function<String, List<String[]>> headers) {
        @Override
        public String toString() {
            return label;
        }
    }

    private static String[] h(String n, String v) {
        return new String[]{n, v};
    }

    static Stream<Cred> refusedCredentials() {
        return Stream.of(
                new Cred("missing", k -> List.of()),
                new Cred("wrong", k -> List.<String[]>of(h("X-API-Key", "not-the-key"))),
                new Cred("near-miss: last char dropped", k -> List.<String[]>of(h("X-API-Key", k.substring(0, k.length() - 1)))),
                new Cred("near-miss: one char more", k -> List.<String[]>of(h("X-API-Key", k + "0"))),
                new Cred("near-miss: last char changed", k -> List.<String[]>of(h("X-API-Key",
                        k.substring(0, k.length() - 1) + (k.endsWith("a") ? "b" : "a")))),
                new Cred("near-miss: upper case", k -> List.<String[]>of(h("X-API-Key", k.toUpperCase()))),
                new Cred("near-miss: prefix only", k -> List.<String[]>of(h("X-API-Key", k.substring(0, 6)))),
                new Cred("empty", k -> List.<String[]>of(h("X-API-Key", ""))),
                new Cred("duplicate: right then wrong", k -> List.of(h("X-API-Key", k), h("X-API-Key", "wrong"))),
                new Cred("duplicate: wrong then right", k -> List.of(h("X-API-Key", "wrong"), h("X-API-Key", k))),
                new Cred("duplicate: right twice", k -> List.of(h("X-API-Key", k), h("X-API-Key", k))),
                new Cred("comma-joined list", k -> List.<String[]>of(h("X-API-Key", k + "," + k))),
                new Cred("header plus wrong Bearer", k -> List.of(h("X-API-Key", k), h("Authorization", "Bearer wrong"))),
                new Cred("Bearer wrong", k -> List.<String[]>of(h("Authorization", "Bearer wrong"))),
                new Cred("Bearer empty", k -> List.<String[]>of(h("Authorization", "Bearer "))),
                new Cred("Bearer without key", k -> List.<String[]>of(h("Authorization", "Bearer"))),
                new Cred("Basic with the key", k -> List.<String[]>of(h("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString(("user:" + k).getBytes(StandardCharsets.UTF_8))))),
                new Cred("Token scheme", k -> List.<String[]>of(h("Authorization", "Token " + k))),
                new Cred("key in another header", k -> List.<String[]>of(h("X-Api-Token", k))),
                new Cred("key with a NUL-free control char", k -> List.<String[]>of(h("X-API-Key", k + "\t0"))));
    }

    static Stream<Arguments> refusedCases() {
        List<String[]> routes = List.of(new String[]{"GET", "/sandboxes", null}, new String[]{"POST", "/run",
                "{\"command\":[\"echo\",\"pwned\"]}"}, new String[]{"GET", "/health", null});
        return refusedCredentials().flatMap(c -> routes.stream().map(r -> Arguments.of(c, r[0], r[1], r[2])));
    }

    @ParameterizedTest(name = "[{index}] {0}: {1} {2}")
    @MethodSource("refusedCases")
    void refused(Cred cred, String method, String path, String body) {
        RawHttp.Request req = http().request(method, path).without("X-API-Key");
        cred.headers().apply(server().apiKey).forEach(x -> req.header(x[0], x[1]));
        if (body != null) {
            req.json(body);
        }
        RawHttp.Response r = bad(req.send());
        assertThat(r.status()).as(r.text()).isEqualTo(401);
        assertThat(r.json().path("code").asText()).isEqualTo("unauthorized");
        expectAudit("auth_failed", null);
    }

    static Stream<Cred> acceptedCredentials() {
        return Stream.of(
                new Cred("X-API-Key", k -> List.<String[]>of(h("X-API-Key", k))),
                new Cred("x-api-key lower-case name", k -> List.<String[]>of(h("x-api-key", k))),
                new Cred("Bearer", k -> List.<String[]>of(h("Authorization", "Bearer " + k))),
                new Cred("bearer lower-case scheme", k -> List.<String[]>of(h("Authorization", "bearer " + k))));
    }

    @ParameterizedTest(name = "[{index}] accepted: {0}")
    @MethodSource("acceptedCredentials")
    void accepted(Cred cred) {
        RawHttp.Request req = http().request("GET", "/sandboxes").without("X-API-Key");
        cred.headers().apply(server().apiKey).forEach(x -> req.header(x[0], x[1]));
        RawHttp.Response r = track(req.send());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().path("success").asBoolean()).isTrue();
    }

    @Test
    void keyInQueryStringIsNotACredential() {
        RawHttp.Response r = bad(http().request("GET", "/sandboxes?api_key=" + server().apiKey)
                .without("X-API-Key").send());
        assertThat(r.status()).isEqualTo(401);
    }

    @Test
    void keyNeverInLogsOrAudit() throws Exception {
        // Provoke refusals and successes, then read the server's log and the audit file.
        bad(http().request("GET", "/sandboxes").without("X-API-Key").header("X-API-Key", server().apiKey + "x").send());
        track(http().get("/sandboxes"));
        String log;
        synchronized (LOG) {
            log = LOG.toString(StandardCharsets.UTF_8);
        }
        assertThat(log).doesNotContain(server().apiKey);
        assertThat(Files.readString(server().auditFile)).doesNotContain(server().apiKey);
    }

    // ---- Host / Origin / cross-site ----

    @ParameterizedTest(name = "[{index}] Host: {0}")
    @ValueSource(strings = {"evil.example", "evil.example:18888", "localhost.evil.example", "127.0.0.1.nip.io",
            "attacker.com:80", "0x7f000001", "127.1", "[::2]", "", "localhost@evil.example", "evil.example\t"})
    void foreignHostRefused(String host) {
        RawHttp.Response r = bad(http().request("GET", "/sandboxes").without("Host").header("Host", host).send());
        assertThat(r.status()).as(r.text()).isIn(400, 403);
        assertThat(r.text()).doesNotContain("\"data\"");
    }

    @Test
    void duplicateHostHeaderRefused() {
        RawHttp.Response r = bad(http().request("GET", "/sandboxes").without("Host")
                .header("Host", "localhost").header("Host", "evil.example").send());
        assertThat(r.status()).as(r.text()).isIn(400, 403);
    }

    @Test
    void foreignHostCannotRun() {
        int before = Engine.count(SuiteServer.owner());
        RawHttp.Response r = bad(http().request("POST", "/run").without("Host").header("Host", "rebind.evil.example")
                .json("{\"command\":[\"echo\",\"pwned\"]}").send());
        assertThat(r.status()).isIn(400, 403);
        assertThat(Engine.count(SuiteServer.owner())).isEqualTo(before);
    }

    @ParameterizedTest(name = "[{index}] Host: {0}")
    @ValueSource(strings = {"localhost", "127.0.0.1", "[::1]", "LOCALHOST"})
    void loopbackHostsAccepted(String host) {
        RawHttp.Response r = track(http().request("GET", "/sandboxes").without("Host")
                .header("Host", host + ":" + http().port()).send());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    @ParameterizedTest(name = "[{index}] cross-site POST as {0}")
    @ValueSource(strings = {"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x"})
    void crossSiteSimplePostRefused(String type) {
        int before = Engine.count(SuiteServer.owner());
        RawHttp.Response r = bad(http().request("POST", "/run").header("Origin", "https://evil.example")
                .header("Content-Type", type).body("{\"command\":[\"touch\",\"/tmp/pwned\"]}".getBytes(StandardCharsets.UTF_8))
                .send());
        assertThat(r.status()).as(r.text()).isEqualTo(415);
        assertThat(r.header("Access-Control-Allow-Origin")).isNull();
        assertThat(Engine.count(SuiteServer.owner())).isEqualTo(before);
    }

    @Test
    void noCorsForForeignOrigin() {
        RawHttp.Response r = track(http().request("GET", "/sandboxes").header("Origin", "https://evil.example").send());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Access-Control-Allow-Origin")).isNull();
        assertThat(r.header("Access-Control-Allow-Credentials")).isNull();
    }

    @Test
    void preflightFromForeignOriginGetsNoPermission() {
        RawHttp.Response r = bad(http().request("OPTIONS", "/run").header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,x-api-key").send());
        assertThat(r.status()).isBetween(400, 499);
        assertThat(r.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void serverRefusesToListenBeyondLoopbackWithoutAKey() throws Exception {
        try (dev.agentkernel.testkit.ChildJvm jvm = ChildServer.launch(Files.createTempDirectory("ak-wall-"), null,
                "--host", "0.0.0.0")) { // closing stops it should it serve after all (the wall removed)
            String line = jvm.awaitLine(l -> l.contains("Refusing") || l.contains("listening on"),
                    java.time.Duration.ofSeconds(90));
            assertThat(jvm.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as(line).isTrue();
            assertThat(jvm.process().exitValue()).isEqualTo(2);
            assertThat(line).contains("Refusing to listen on 0.0.0.0 without an API key", "AGENTKERNEL_API_KEY",
                    "127.0.0.1", "--insecure-no-auth");
            Thread.sleep(200); // the rest of the output, drained in the background
            assertThat(jvm.lines()).as("one line").containsExactly(line);
        }
    }

    @Test
    void insecureFlagOverridesTheWallAndSaysSoLoudly() throws Exception {
        try (ChildServer c = ChildServer.start(Files.createTempDirectory("ak-wall-"), null, "--host", "0.0.0.0",
                "--insecure-no-auth")) {
            assertThat(String.join("\n", c.lines())).contains("listening on http://0.0.0.0:")
                    .contains("INSECURE", "WITHOUT an API key");
            assertThat(new RawHttp(c.port, null).get("/health").status()).isEqualTo(200);
        }
    }
}
