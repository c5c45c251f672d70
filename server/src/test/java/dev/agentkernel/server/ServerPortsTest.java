package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ports through the server on the fake backend, whose sandbox shares the host's loopback: the "sandbox's" servers
 * are a JDK HttpServer and a small WebSocket echo ({@link LoopbackSandboxServers}). Both ways in: the path with the
 * API key, and a preview host with a signed URL.
 */
class ServerPortsTest {
    static final String KEY = "ports-test-key";
    @TempDir
    static Path dir;
    static ServerFixture f;
    static LoopbackSandboxServers sandbox;
    static int web;
    static int ws;

    @BeforeAll
    static void start() throws IOException {
        sandbox = new LoopbackSandboxServers();
        web = sandbox.httpPort();
        ws = sandbox.wsPort();
        AgentKernelConfig config = ServerFixture.config(4)
                .withPorts(new AgentKernelConfig.Ports(4, 16, Duration.ofHours(24), "localhost"));
        f = new ServerFixture(new FakeBackend(), config, dir.resolve("audit.jsonl"), o -> o.withApiKey(KEY), b -> b);
        f.kernel.create(SandboxSpec.named("web"));
        f.kernel.create(SandboxSpec.named("other"));
        assertThat(f.post("/sandboxes/web/ports", "{\"port\":" + web + "}").status()).isEqualTo(200);
        assertThat(f.post("/sandboxes/web/ports", "{\"port\":" + ws + "}").status()).isEqualTo(200);
        assertThat(f.post("/sandboxes/other/ports", "{\"port\":" + web + "}").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() throws IOException {
        f.close();
        sandbox.close();
    }

    private static String proxy(String sandboxName, int port, String rest) {
        return "/sandboxes/" + sandboxName + "/ports/" + port + rest;
    }

    @Test
    void exposeListAndUnexposeFollowTheWireConventions() {
        JsonNode exposed = f.post("/sandboxes/web/ports", "{\"port\": 4242}").json().get("data");
        assertThat(exposed.get("port").asInt()).isEqualTo(4242);
        assertThat(exposed.get("path").asText()).isEqualTo("/sandboxes/web/ports/4242/");
        assertThat(exposed.get("exposed_at").asText()).isNotEmpty();
        assertThat(f.post("/sandboxes/web/ports", "{\"port\": 4242}").json().get("data")).isEqualTo(exposed);
        JsonNode list = f.get("/sandboxes/web/ports").json().get("data");
        assertThat(list.findValuesAsText("port")).contains("4242", String.valueOf(web));
        assertThat(f.delete("/sandboxes/web/ports/4242").status()).isEqualTo(200);
        assertThat(f.delete("/sandboxes/web/ports/4242").status()).isEqualTo(404);
        assertThat(f.post("/sandboxes/web/ports", "{\"port\": 70000}").status()).isEqualTo(400);
        assertThat(f.post("/sandboxes/web/ports", "{}").json().get("error").asText()).contains("port");
        assertThat(f.get("/sandboxes/web/ports/abc/").status()).isEqualTo(400);
        assertThat(f.kernel.logs("web", LogQuery.ALL)).extracting(AuditEvent::event)
                .contains("port_exposed", "port_unexposed");
    }

    @Test
    void aCreateOptionExposesPorts() {
        ServerFixture.Reply r = f.post("/sandboxes", "{\"name\":\"made\",\"ports\":[" + web + ", 3000]}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(f.get("/sandboxes/made/ports").json().get("data").findValuesAsText("port"))
                .containsExactlyInAnyOrder("3000", String.valueOf(web));
        assertThat(f.post("/sandboxes", "{\"name\":\"twice\",\"ports\":[80, 80]}").status()).isEqualTo(400);
        assertThat(f.get("/sandboxes/twice").status()).isEqualTo(404);
    }

    @Test
    void thePathWayRelaysGetHeadChunkedAndALargePost() throws Exception {
        ServerFixture.Reply hello = f.get(proxy("web", web, "/hello?x=1&y=2"));
        assertThat(hello.status()).isEqualTo(200);
        assertThat(hello.body()).isEqualTo("hello from the sandbox /hello?x=1&y=2");
        assertThat(hello.header("X-Sandbox")).isEqualTo("yes");
        assertThat(hello.header("Content-Security-Policy")).isEqualTo("sandbox");
        assertThat(hello.header("Set-Cookie")).as("the path way is the API's origin: no cookies from a sandbox").isNull();

        ServerFixture.Reply head = f.send("HEAD", proxy("web", web, "/hello"), null, null, Map.of());
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();

        ServerFixture.Reply chunked = f.get(proxy("web", web, "/chunked"));
        assertThat(chunked.body()).startsWith("line 0\n").endsWith("line 99\n").hasLineCount(100);

        byte[] big = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(big);
        HttpResponse<String> posted = f.client.send(HttpRequest.newBuilder(f.uri(proxy("web", web, "/echo")))
                .header("X-API-Key", KEY).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.body()).isEqualTo(big.length + " "
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big)));

        ServerFixture.Reply missing = f.get(proxy("web", web, "/nothing"));
        assertThat(missing.status()).as("the sandbox's own 404 comes through").isEqualTo(404);
        assertThat(missing.body()).isEqualTo("no such page /nothing");
    }

    @Test
    void aChunkedUploadIsRelayed() throws Exception {
        byte[] body = "streamed without a length".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> posted = f.client.send(HttpRequest.newBuilder(f.uri(proxy("web", web, "/echo")))
                .header("X-API-Key", KEY).POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.body()).startsWith(body.length + " ");
    }

    @Test
    void credentialsNeverReachTheSandbox() {
        f.send("GET", proxy("web", web, "/hello?agentkernel_token=abc&keep=1"), null, null,
                Map.of("Authorization", List.of("Bearer " + KEY), "Cookie", List.of("agentkernel_token=xyz; app=1")));
        String seen = sandbox.lastHeaders();
        assertThat(seen).doesNotContain(KEY).doesNotContain("xyz").contains("cookie: app=1")
                .contains("x-forwarded-for: 127.0.0.1").contains("x-forwarded-proto: http")
                .contains("x-forwarded-host: 127.0.0.1:" + f.server.port()).contains("host: localhost:" + web);
        f.get(proxy("web", web, "/hello"));
        assertThat(sandbox.lastHeaders()).doesNotContain(KEY).doesNotContain("x-api-key");
    }

    @Test
    void aPortNotExposedOrWithoutTheKeyIsRefused() throws IOException {
        ServerFixture.Reply notExposed = f.get(proxy("web", 1, "/hello"));
        assertThat(notExposed.status()).isEqualTo(404);
        assertThat(notExposed.json().get("error").asText()).contains("Port 1 of sandbox 'web' is not exposed");
        int seen = sandbox.seen.size();
        assertThat(f.send("GET", proxy("web", web, "/hello"), null, null, Map.of("no-key", List.of("")))
                .status()).isEqualTo(401);
        assertThat(sandbox.seen).hasSize(seen);
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        f.post("/sandboxes/web/ports", "{\"port\":" + closed + "}");
        ServerFixture.Reply refused = f.get(proxy("web", closed, "/"));
        assertThat(refused.status()).isEqualTo(502);
        assertThat(refused.json().get("error").asText()).contains("connection refused");
        assertThat(refused.json().get("code").asText()).isEqualTo("port_unreachable");
    }

    @Test
    void aWebSocketEchoesThroughThePathWay() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().header("X-API-Key", KEY)
                .buildAsync(URI.create("ws://127.0.0.1:" + f.server.port() + proxy("web", ws, "/socket")),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                reply.complete(data.toString());
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
        socket.sendText("ping", true);
        assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("echo: ping");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }

    // ---- signed URLs and preview hosts

    private static URI signedUrl(String name, int port, String ttl) {
        ServerFixture.Reply r = f.post(proxy(name, port, "/url"), ttl == null ? null : "{\"ttl\":\"" + ttl + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode d = r.json().get("data");
        assertThat(d.get("port").asInt()).isEqualTo(port);
        assertThat(d.get("expires_at").asText()).isNotEmpty();
        return URI.create(d.get("url").asText());
    }

    private static String token(URI url) {
        return url.getQuery().substring(url.getQuery().indexOf('=') + 1);
    }

    @Test
    void aSignedUrlIsExchangedForACookieAndThenServesThePage() throws IOException {
        URI url = signedUrl("web", web, null);
        assertThat(url.getHost()).isEqualTo(web + "-web.localhost");
        assertThat(url.getPort()).isEqualTo(f.server.port());
        String host = url.getHost() + ":" + url.getPort();

        Raw first = Raw.send(f.server.port(), "GET /?" + url.getQuery() + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(first.status).isEqualTo(302);
        assertThat(first.header("location")).isEqualTo("/");
        String cookie = first.header("set-cookie");
        assertThat(cookie).startsWith("agentkernel_token=" + token(url) + ";").contains("HttpOnly")
                .contains("SameSite=Lax").contains("Path=/").doesNotContainIgnoringCase("domain=");
        long maxAge = Long.parseLong(cookie.replaceAll(".*Max-Age=(\\d+).*", "$1"));
        Raw offsite = Raw.send(f.server.port(), "GET //evil.example/x?" + url.getQuery() + " HTTP/1.1\r\nHost: "
                + host + "\r\nConnection: close\r\n\r\n");
        assertThat(offsite.header("location")).as("the redirect stays on the host").isEqualTo("/evil.example/x");
        assertThat(maxAge).isBetween(3500L, 3600L);

        Raw page = Raw.send(f.server.port(), "GET /hello HTTP/1.1\r\nHost: " + host + "\r\nCookie: "
                + "agentkernel_token=" + token(url) + "; theme=dark\r\nConnection: close\r\n\r\n");
        assertThat(page.status).isEqualTo(200);
        assertThat(page.body).isEqualTo("hello from the sandbox /hello");
        assertThat(page.header("content-security-policy")).as("its own origin: scripts may run").isNull();
        assertThat(page.header("set-cookie")).as("its own origin: its cookies too").isEqualTo("session=from-the-sandbox; Path=/");
        assertThat(sandbox.lastHeaders()).doesNotContain(token(url)).contains("cookie: theme=dark");
        assertThat(f.kernel.logs("web", LogQuery.ALL)).filteredOn(e -> e.event().equals("port_url_issued"))
                .isNotEmpty().allSatisfy(e -> assertThat(e.details().toString()).doesNotContain(token(url)));
    }

    @Test
    void forgedExpiredOtherPortAndMissingTokensAreRefused() throws Exception {
        URI url = signedUrl("web", web, "1h");
        String good = token(url);
        char c = good.charAt(10);
        String forged = good.substring(0, 10) + (c == 'A' ? 'B' : 'A') + good.substring(11);
        int before = sandbox.seen.size();
        assertThat(preview(web + "-web", forged).status).isEqualTo(403);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char spare = alphabet.charAt(alphabet.indexOf(good.charAt(good.length() - 1)) ^ 1); // only an unused bit differs
        assertThat(preview(web + "-web", good.substring(0, good.length() - 1) + spare).status)
                .as("another spelling of the same bytes").isEqualTo(403);
        assertThat(preview(ws + "-web", good).status).as("another port").isEqualTo(403);
        assertThat(preview(web + "-other", good).status).as("another sandbox").isEqualTo(403);
        assertThat(preview(web + "-nosuch", good).status).as("no such sandbox: same answer").isEqualTo(403);
        assertThat(preview(web + "-web", null).status).isEqualTo(401);
        assertThat(preview(web + "-web", "").status).isEqualTo(401);
        URI shortLived = signedUrl("web", web, "1s");
        Thread.sleep(2100);
        Raw expired = preview(web + "-web", token(shortLived));
        assertThat(expired.status).isEqualTo(401);
        assertThat(expired.body).contains("expired");
        assertThat(sandbox.seen).as("nothing was proxied").hasSize(before);
        assertThat(preview(web + "-web", good).status).isEqualTo(200);
        assertThat(f.post(proxy("web", 9, "/url"), null).status()).as("not exposed").isEqualTo(404);
        assertThat(f.post(proxy("web", web, "/url"), "{\"ttl\":\"25h\"}").status()).isEqualTo(400);
    }

    @Test
    void anUnexposedPortsUrlsAreRefused() throws IOException {
        f.post("/sandboxes/web/ports", "{\"port\": 5151}");
        URI url = signedUrl("web", 5151, null);
        assertThat(f.delete("/sandboxes/web/ports/5151").status()).isEqualTo(200);
        assertThat(preview("5151-web", token(url)).status).isEqualTo(403);
    }

    @Test
    void aNameThatIsNotADnsLabelGetsNoBrowserUrl() {
        f.kernel.create(SandboxSpec.named("Web_1"));
        f.post("/sandboxes/Web_1/ports", "{\"port\": 80}");
        ServerFixture.Reply r = f.post(proxy("Web_1", 80, "/url"), null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).contains("DNS label");
    }

    @Test
    void aPreviewHostReachesOnlyTheProxyAndTheAllowlistStaysClosed() throws IOException {
        URI url = signedUrl("web", web, null);
        String cookie = "agentkernel_token=" + token(url);
        // An API route's path on a preview host goes to the sandbox, with or without the API key.
        Raw health = Raw.send(f.server.port(), "GET /health HTTP/1.1\r\nHost: " + web + "-web.localhost\r\n"
                + "X-API-Key: " + KEY + "\r\nCookie: " + cookie + "\r\nConnection: close\r\n\r\n");
        assertThat(health.status).isEqualTo(404);
        assertThat(health.body).isEqualTo("no such page /health");
        Raw noToken = Raw.send(f.server.port(), "GET /sandboxes HTTP/1.1\r\nHost: " + web + "-web.localhost\r\n"
                + "X-API-Key: " + KEY + "\r\nConnection: close\r\n\r\n");
        assertThat(noToken.status).isEqualTo(401);
        assertThat(noToken.body).doesNotContain("\"name\"");
        // Any other foreign Host is still refused on the API.
        Raw foreign = Raw.send(f.server.port(), "GET /health HTTP/1.1\r\nHost: evil.example\r\nX-API-Key: " + KEY
                + "\r\nConnection: close\r\n\r\n");
        assertThat(foreign.status).isEqualTo(403);
        Raw otherDomain = Raw.send(f.server.port(), "GET /health HTTP/1.1\r\nHost: " + web + "-web.evil.example\r\n"
                + "X-API-Key: " + KEY + "\r\nConnection: close\r\n\r\n");
        assertThat(otherDomain.status).isEqualTo(403);
    }

    @Test
    void aWebSocketEchoesThroughAPreviewHost() throws Exception {
        URI url = signedUrl("web", ws, null);
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /socket HTTP/1.1\r\nHost: " + ws + "-web.localhost\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\nCookie: agentkernel_token=" + token(url) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            Map<String, String> head = LoopbackSandboxServers.readHead(in);
            assertThat(head.get("")).startsWith("HTTP/1.1 101");
            assertThat(head.get("sec-websocket-accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            out.write(LoopbackSandboxServers.frame(1, "hi".getBytes(StandardCharsets.UTF_8), new byte[]{1, 2, 3, 4}));
            out.flush();
            int b0 = in.read();
            int len = in.read();
            assertThat(b0 & 0x0f).isEqualTo(1);
            assertThat(new String(in.readNBytes(len), StandardCharsets.UTF_8)).isEqualTo("echo: hi");
        }
    }

    // ---- limits and a slow reader

    @Test
    void aSlowReaderPausesOnlyItsOwnConnectionAndTheSandboxSendsNoMoreThanAWindowAhead() throws Exception {
        sandbox.bigWritten.set(0);
        try (Socket slow = new Socket("127.0.0.1", f.server.port())) {
            slow.setReceiveBufferSize(64 * 1024);
            slow.getOutputStream().write(("GET " + proxy("web", web, "/big") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "X-API-Key: " + KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(2000); // the reader reads nothing
            long t0 = System.nanoTime();
            assertThat(f.get("/health").status()).isEqualTo(200);
            assertThat(f.get(proxy("web", web, "/hello")).status()).isEqualTo(200);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(took).as("other requests are not slowed").isLessThan(2000);
            long written = sandbox.bigWritten.get();
            // What the sandbox got out: the port's window (1 MiB) plus what the sockets and Vert.x's write queue
            // hold on the way to the client; far from the 50 MiB it wants to send.
            assertThat(written).as("bytes the sandbox managed to send").isLessThan(16L * 1024 * 1024);
            // Reading on, the whole answer arrives.
            InputStream in = slow.getInputStream();
            Map<String, String> head = LoopbackSandboxServers.readHead(in);
            assertThat(head.get("content-length")).isEqualTo(String.valueOf(LoopbackSandboxServers.BIG_BYTES));
            long got = 0;
            byte[] buf = new byte[1 << 16];
            int n;
            while (got < LoopbackSandboxServers.BIG_BYTES && (n = in.read(buf)) > 0) {
                got += n;
            }
            assertThat(got).isEqualTo(LoopbackSandboxServers.BIG_BYTES);
        }
    }

    @Test
    void connectionsBeyondTheLimitAre429() throws Exception {
        f.kernel.create(SandboxSpec.named("busy"));
        f.post("/sandboxes/busy/ports", "{\"port\":" + web + "}");
        Socket[] held = new Socket[4];
        try {
            for (int i = 0; i < held.length; i++) {
                held[i] = new Socket("127.0.0.1", f.server.port());
                held[i].getOutputStream().write(("GET " + proxy("busy", web, "/big") + " HTTP/1.1\r\n"
                        + "Host: 127.0.0.1\r\nX-API-Key: " + KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            Thread.sleep(1000);
            ServerFixture.Reply over = f.get(proxy("busy", web, "/hello"));
            assertThat(over.status()).isEqualTo(429);
            assertThat(over.json().get("error").asText()).contains("max_connections_per_sandbox");
            assertThat(f.get(proxy("web", web, "/hello")).status()).as("another sandbox is not limited")
                    .isEqualTo(200);
        } finally {
            for (Socket s : held) {
                if (s != null) {
                    s.close();
                }
            }
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int status;
        do {
            Thread.sleep(100);
            status = f.get(proxy("busy", web, "/hello")).status();
        } while (status != 200 && System.nanoTime() < end);
        assertThat(status).as("the slots come back when the clients go").isEqualTo(200);
    }

    private static Raw preview(String label, String token) throws IOException {
        String cookie = token == null ? "" : "Cookie: agentkernel_token=" + token + "\r\n";
        return Raw.send(f.server.port(), "GET /hello HTTP/1.1\r\nHost: " + label + ".localhost:" + f.server.port()
                + "\r\n" + cookie + "Connection: close\r\n\r\n");
    }

    /** An exchange on a raw connection (to send any Host header); the answer is read until the server closes. */
    record Raw(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        static Raw send(int port, String request) throws IOException {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                InputStream in = s.getInputStream();
                Map<String, String> head = LoopbackSandboxServers.readHead(in);
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                String length = head.get("content-length");
                if (length != null) {
                    body.writeBytes(in.readNBytes(Integer.parseInt(length)));
                } else if ("chunked".equalsIgnoreCase(head.get("transfer-encoding"))) {
                    while (true) {
                        StringBuilder line = new StringBuilder();
                        int ch;
                        while ((ch = in.read()) != '\n') {
                            line.append((char) ch);
                        }
                        int size = Integer.parseInt(line.toString().trim(), 16);
                        body.writeBytes(in.readNBytes(size));
                        in.readNBytes(2);
                        if (size == 0) {
                            break;
                        }
                    }
                } else {
                    body.writeBytes(in.readAllBytes());
                }
                int status = Integer.parseInt(head.get("").split(" ")[1]);
                return new Raw(status, head, body.toString(StandardCharsets.UTF_8));
            }
        }
    }
}
