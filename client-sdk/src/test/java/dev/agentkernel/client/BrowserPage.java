package dev.agentkernel.client;

import dev.agentkernel.testkit.HeadlessChromium;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web app the browser tests serve from a "sandbox": a page whose style sheet (by an absolute path) paints it blue
 * and whose script (by a relative path) writes what it fetched (by an absolute path). Seeing the text and the colour
 * means every sub-request came through the proxy.
 */
final class BrowserPage {
    static final Map<String, String> FILES = Map.of(
            "/index.html", "<!doctype html><html><head><title>sandbox app</title><link rel=stylesheet href=/style.css>"
                    + "</head><body><p id=out>waiting</p><script src=app.js></script></body></html>",
            "/style.css", "html, body { background: rgb(0, 128, 255); margin: 0; height: 100%; }",
            "/app.js", "fetch('/data.txt').then(r => r.text()).then(t => "
                    + "document.getElementById('out').textContent = 'fetched: ' + t.trim());",
            "/data.txt", "forty-two");
    static final int BLUE = 0x0080ff;

    private BrowserPage() {
    }

    /** The DOM shows the fetched text, the screenshot the style sheet's colour. */
    static void assertShown(HeadlessChromium chromium, URI url) {
        assertThat(chromium.dumpDom(url)).as("the script ran and its fetch came back through the proxy")
                .contains("fetched: forty-two");
        BufferedImage shot = chromium.screenshot(url, 480, 320);
        assertThat(HeadlessChromium.share(shot, BLUE, 8)).as("the style sheet's blue").isGreaterThan(0.8);
    }

    /** The browser shows the server's refusal, nothing of the page. */
    static void assertRefused(String dom) {
        assertThat(dom).doesNotContain("fetched").doesNotContain("waiting").doesNotContain("sandbox app")
                .containsAnyOf("forbidden", "unauthorized");
    }
}
