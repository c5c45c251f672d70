package dev.agentkernel.testkit;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The browser helper itself, on {@link BrowserTestPage} served from this JVM under a {@code *.localhost} name (which
 * Chromium resolves to loopback by itself): the DOM shows what the script fetched, the screenshot the colour.
 */
class HeadlessChromiumIT {
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String body = BrowserTestPage.content(path);
            byte[] bytes = (body == null ? "no" : body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", BrowserTestPage.contentType(path));
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
        BrowserTestPage.assertShown(HeadlessChromium.find(),
                URI.create("http://app-1.localhost:" + server.getAddress().getPort() + "/"));
    }
}
