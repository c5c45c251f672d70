package dev.agentkernel.testkit;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The browser helper itself, on a page served from this JVM: the DOM shows what the page's script wrote after a
 * fetch, the screenshot shows the colour its style sheet set, and a {@code *.localhost} name reaches loopback.
 */
class HeadlessChromiumIT {
    private static final Map<String, String> FILES = Map.of(
            "/", "<!doctype html><html><head><link rel=stylesheet href=/style.css></head>"
                    + "<body><p id=out>waiting</p><script src=app.js></script></body></html>",
            "/style.css", "html, body { background: rgb(0, 128, 255); margin: 0; height: 100%; }",
            "/app.js", "fetch('/data.txt').then(r => r.text()).then(t => "
                    + "document.getElementById('out').textContent = 'fetched: ' + t);",
            "/data.txt", "forty-two");

    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String body = FILES.get(exchange.getRequestURI().getPath());
            byte[] bytes = (body == null ? "no" : body).getBytes(StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().getPath();
            exchange.getResponseHeaders().add("Content-Type", path.endsWith(".css") ? "text/css"
                    : path.endsWith(".js") ? "text/javascript" : path.endsWith(".txt") ? "text/plain" : "text/html");
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void theDomShowsWhatTheScriptFetchedAndTheScreenshotTheColour() {
        HeadlessChromium chromium = HeadlessChromium.find();
        URI page = URI.create("http://app-1.localhost:" + server.getAddress().getPort() + "/");
        assertThat(chromium.dumpDom(page)).contains("fetched: forty-two").doesNotContain(">waiting<");
        BufferedImage shot = chromium.screenshot(page, 400, 300);
        assertThat(shot.getWidth()).isEqualTo(400);
        assertThat(HeadlessChromium.share(shot, 0x0080ff, 8)).as("the style sheet's blue").isGreaterThan(0.8);
        assertThat(HeadlessChromium.share(shot, 0xffffff, 8)).as("white: the style sheet missing").isLessThan(0.1);
    }
}
