package dev.agentkernel.server;

import dev.agentkernel.api.Capability;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ports against the real engine: {@code python3 -m http.server} started detached in a sandbox, fetched through the
 * proxy (through the sandbox's agent, so a restrictive sandbox without network works too) and through a signed URL
 * in a real browser; a port not exposed is refused; a large file arrives whole.
 */
class ServerPortsIT {
    static final String OWNER = "it-ports-" + HexFormat.of().formatHex(
            java.nio.ByteBuffer.allocate(4).putInt(ThreadLocalRandom.current().nextInt()).array());
    static final String SUFFIX = OWNER.substring(OWNER.length() - 8);
    static final String KEY = "ports-it-key";

    @TempDir
    static Path dir;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        EngineView.removeAllOf(OWNER);
        DockerBackend backend = DockerBackend.open(new BackendSettings(DockerBackend.ID, OWNER, Map.of()));
        f = new ServerFixture(backend, ServerFixture.config(8), dir.resolve("audit.jsonl"), o -> o.withApiKey(KEY),
                b -> b.reconcileFilter(s -> OWNER.equals(s.owner())));
    }

    @AfterAll
    static void stop() {
        try {
            if (f != null) {
                f.close();
            }
            assertThat(EngineView.containersOf(OWNER)).as("containers left behind").isEmpty();
        } finally {
            EngineView.removeAllOf(OWNER);
        }
    }

    /** A sandbox serving {@code /tmp/site} on 127.0.0.1:8000 (its own loopback), the port exposed. */
    static String serving(String base, SecurityProfile profile) {
        assertThat(f.kernel.capabilities()).contains(Capability.PORTS);
        String name = base + "-" + SUFFIX;
        f.kernel.create(SandboxSpec.named(name, "agentkernel/python:local").withProfile(profile));
        f.kernel.writeFile(name, "/tmp/site/index.html",
                ("<h1>served from " + name + "</h1>").getBytes(StandardCharsets.UTF_8));
        f.kernel.execDetached(name, ExecRequest.of("python3", "-m", "http.server", "8000", "--bind", "127.0.0.1",
                "--directory", "/tmp/site"));
        assertThat(f.post("/sandboxes/" + name + "/ports", "{\"port\": 8000}").status()).isEqualTo(200);
        return name;
    }

    /** The page, once the server in the sandbox listens (a refused connection is a 502 until then). */
    static ServerFixture.Reply fetch(String path) throws InterruptedException {
        long end = System.nanoTime() + 20_000_000_000L;
        ServerFixture.Reply r;
        do {
            r = f.get(path);
            if (r.status() != 502) {
                return r;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < end);
        return r;
    }

    @ParameterizedTest
    @EnumSource(value = SecurityProfile.class, names = {"MODERATE", "RESTRICTIVE"})
    void aPythonHttpServerInTheSandboxIsFetchedThroughTheProxy(SecurityProfile profile) throws Exception {
        String name = serving("web-" + profile.wireName(), profile);
        try {
            ServerFixture.Reply page = fetch("/sandboxes/" + name + "/ports/8000/index.html");
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            assertThat(page.body()).isEqualTo("<h1>served from " + name + "</h1>");
            assertThat(page.header("Content-Security-Policy")).isEqualTo("sandbox");
            ServerFixture.Reply notExposed = f.get("/sandboxes/" + name + "/ports/8001/");
            assertThat(notExposed.status()).isEqualTo(404);
        } finally {
            f.kernel.remove(name);
        }
    }

    /**
     * The signed URL in a real browser (Debian's headless Chromium, which resolves {@code *.localhost} itself): the
     * token is exchanged for the cookie, the redirect followed, and the page's script runs on its own origin.
     */
    @Test
    void aSignedUrlServesThePageOnItsOwnHostInARealBrowser() throws Exception {
        String name = serving("signed", SecurityProfile.MODERATE);
        try {
            f.kernel.writeFile(name, "/tmp/site/index.html", ("<html><body><p id=\"t\">static</p><script>"
                    + "document.getElementById('t').textContent = 'script ran on ' + location.host;</script>"
                    + "</body></html>").getBytes(StandardCharsets.UTF_8));
            assertThat(fetch("/sandboxes/" + name + "/ports/8000/").status()).isEqualTo(200);
            String url = f.post("/sandboxes/" + name + "/ports/8000/url", null).json().get("data").get("url").asText();
            String token = url.substring(url.indexOf('=') + 1);
            ServerPortsTest.Raw page = ServerPortsTest.Raw.send(f.server.port(), "GET /index.html HTTP/1.1\r\nHost: 8000-"
                    + name + ".localhost\r\nCookie: agentkernel_token=" + token + "\r\nConnection: close\r\n\r\n");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.body()).contains("<p id=\"t\">static</p>");
            String dom = dev.agentkernel.testkit.HeadlessChromium.find().dumpDom(java.net.URI.create(url));
            assertThat(dom).contains("script ran on 8000-" + name + ".localhost:" + f.server.port())
                    .doesNotContain("agentkernel_token");
        } finally {
            f.kernel.remove(name);
        }
    }

    /** A 32 MiB file through the proxy: all of it arrives; the rate is printed (a figure for the README). */
    @Test
    void aLargeFileComesThroughWhole() throws Exception {
        String name = serving("big", SecurityProfile.MODERATE);
        try {
            assertThat(f.kernel.exec(name, ExecRequest.of("sh", "-c",
                    "head -c 33554432 /dev/zero > /tmp/site/big.bin")).exitCode()).isZero();
            assertThat(fetch("/sandboxes/" + name + "/ports/8000/index.html").status()).isEqualTo(200);
            long t0 = System.nanoTime();
            java.net.http.HttpResponse<byte[]> r = f.client.send(java.net.http.HttpRequest.newBuilder(
                    f.uri("/sandboxes/" + name + "/ports/8000/big.bin")).header("X-API-Key", KEY).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).hasSize(33_554_432);
            System.out.printf("FIGURES port proxy: 32 MiB in %.2f s (%.0f MiB/s)%n", seconds, 32 / seconds);
        } finally {
            f.kernel.remove(name);
        }
    }
}
