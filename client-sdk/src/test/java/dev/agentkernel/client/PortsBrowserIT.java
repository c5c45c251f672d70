package dev.agentkernel.client;

import com.sun.net.httpserver.HttpServer;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.testkit.BrowserTestPage;
import dev.agentkernel.testkit.HeadlessChromium;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sandbox's web page in a real browser (headless Chromium) through a signed port URL, as a user opens it: the SDK
 * exposes the port and asks the server for the URL; the browser trades the token for the cookie and loads the page
 * and its sub-requests (a style sheet by an absolute path, a script by a relative one, a fetch by an absolute one)
 * with that cookie alone. The "sandbox" is the fake backend, whose ports are this host's loopback: a JDK HTTP server
 * here plays the sandbox's web app and records what reached it. A forged, an expired and an unexposed port's URL show
 * the refusal, and the app never sees them, nor the API key or the token.
 */
class PortsBrowserIT {
    private static final String KEY = "browser-test-key";
    @TempDir
    Path dir;

    private AgentKernel kernel;
    private AgentKernelServer server;
    private AgentKernelClient client;
    private HttpServer app;
    /** "path | Cookie | X-API-Key | query" of every request the app got. */
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final HeadlessChromium chromium = HeadlessChromium.find();

    @BeforeEach
    void start() throws IOException {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            seen.add(path + " | " + exchange.getRequestHeaders().getFirst("Cookie") + " | "
                    + exchange.getRequestHeaders().getFirst("X-API-Key") + " | " + exchange.getRequestURI().getQuery());
            String body = BrowserTestPage.content(path);
            byte[] bytes = (body == null ? "not here" : body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", BrowserTestPage.contentType(path));
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        app.start();
        AgentKernelConfig config = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"));
        kernel = AgentKernel.builder().backend(new FakeBackend()).config(config).build();
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, KEY).withHost("127.0.0.1").withPort(0));
        client = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(KEY).build();
        client.create(SandboxSpec.named("web"));
    }

    @AfterEach
    void stop() {
        try {
            server.close();
        } finally {
            kernel.close();
            app.stop(0);
        }
    }

    private int appPort() {
        return app.getAddress().getPort();
    }

    @Test
    void thePageLoadsThroughTheSignedUrlWithItsOwnSubRequests() {
        client.exposePort("web", appPort());
        PortUrl url = client.portUrl("web", appPort(), Duration.ofMinutes(10));
        assertThat(url.url().getHost()).isEqualTo(appPort() + "-web.localhost");

        BrowserTestPage.assertShown(chromium, url.url());

        assertThat(seen).extracting(s -> s.substring(0, s.indexOf(' ')))
                .contains("/", "/style.css", "/app.js", "/data.txt");
        assertThat(seen).as("neither the token nor the API key reaches the sandbox")
                .allSatisfy(s -> assertThat(s).doesNotContain("agentkernel_token").doesNotContain(KEY)
                        .endsWith(" | null | null | null"));
    }

    /** The page opens a WebSocket to its own host (the preview host: the cookie authenticates it) and shows the echo. */
    @Test
    void aPageTalksToItsSandboxOverAWebSocketThroughThePreviewHost() throws Exception {
        try (EchoWebApp echo = new EchoWebApp(Map.of("/", "<!doctype html><html><body><p id=out>waiting</p><script>"
                + "const ws = new WebSocket('ws://' + location.host + '/echo');"
                + "ws.onopen = () => ws.send('ping through the proxy');"
                + "ws.onmessage = e => { document.getElementById('out').textContent = 'echo: ' + e.data; };"
                + "ws.onerror = () => { document.getElementById('out').textContent = 'websocket failed'; };"
                + "</script><iframe src=" + EchoWebApp.HOLD + "></iframe></body></html>",
                EchoWebApp.HOLD, "held"))) {
            client.exposePort("web", echo.port());
            PortUrl url = client.portUrl("web", echo.port(), Duration.ofMinutes(10));
            assertThat(chromium.dumpDom(url.url())).contains("echo: ping through the proxy");
            assertThat(echo.received).containsExactly("ping through the proxy");
        }
    }

    @Test
    void aForgedAnExpiredAndAnUnexposedPortsUrlShowTheRefusal() throws Exception {
        client.exposePort("web", appPort());
        URI good = client.portUrl("web", appPort(), Duration.ofMinutes(10)).url();
        // One character inside the MAC changed (not the last: its low bits are padding a decoder may ignore).
        String text = good.toString();
        int at = text.length() - 10;
        URI forged = URI.create(text.substring(0, at) + (text.charAt(at) == 'A' ? 'B' : 'A') + text.substring(at + 1));
        BrowserTestPage.assertRefused(chromium.dumpDom(forged));

        URI shortLived = client.portUrl("web", appPort(), Duration.ofSeconds(1)).url();
        Thread.sleep(2_500);
        BrowserTestPage.assertRefused(chromium.dumpDom(shortLived));

        // Another sandbox's token for this host: signed for "other", refused on "web".
        client.create(SandboxSpec.named("other"));
        client.exposePort("other", appPort());
        URI others = client.portUrl("other", appPort(), Duration.ofMinutes(10)).url();
        URI swapped = URI.create(good.toString().replaceFirst("\\?.*", "?" + others.getQuery()));
        BrowserTestPage.assertRefused(chromium.dumpDom(swapped));

        client.unexposePort("web", appPort());
        BrowserTestPage.assertRefused(chromium.dumpDom(good));
        assertThatThrownBy(() -> client.portUrl("web", appPort(), null))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThat(seen).as("nothing refused reached the sandbox").isEmpty();
    }

}
