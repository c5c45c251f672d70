package dev.agentkernel.testkit;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web app the browser tests serve (from a sandbox, or from the test itself): a page whose style sheet (by an
 * absolute path) paints it blue and whose script (by a relative path) writes what it fetched (by an absolute path).
 * Seeing the text and the colour in {@link HeadlessChromium} means every sub-request was answered.
 */
public final class BrowserTestPage {
    /** Path to content; {@code /index.html} is the page (also served for {@code /}). */
    public static final Map<String, String> FILES = Map.of(
            "/index.html", "<!doctype html><html><head><title>sandbox app</title><link rel=stylesheet href=/style.css>"
                    + "</head><body><p id=out>waiting</p><script src=app.js></script></body></html>",
            "/style.css", "html, body { background: rgb(0, 128, 255); margin: 0; height: 100%; }",
            "/app.js", "fetch('/data.txt').then(r => r.text()).then(t => "
                    + "document.getElementById('out').textContent = 'fetched: ' + t.trim());",
            "/data.txt", "forty-two");
    /** The style sheet's colour. */
    public static final int BLUE = 0x0080ff;

    private BrowserTestPage() {
    }

    /** The content of a request path, or null. */
    public static String content(String path) {
        return FILES.get("/".equals(path) ? "/index.html" : path);
    }

    /** The media type of a path of {@link #FILES}. */
    public static String contentType(String path) {
        return path.endsWith(".css") ? "text/css" : path.endsWith(".js") ? "text/javascript"
                : path.endsWith(".txt") ? "text/plain" : "text/html";
    }

    /** The DOM shows the fetched text, the screenshot the style sheet's colour. */
    public static void assertShown(HeadlessChromium chromium, URI url) {
        assertThat(chromium.dumpDom(url)).as("the script ran and its fetch came back")
                .contains("fetched: forty-two");
        BufferedImage shot = chromium.screenshot(url, 480, 320);
        assertThat(HeadlessChromium.share(shot, BLUE, 8)).as("the style sheet's blue").isGreaterThan(0.8);
        assertThat(HeadlessChromium.share(shot, 0xffffff, 8)).as("white: no style sheet").isLessThan(0.1);
    }

    /** The browser shows a refusal (401 or 403), nothing of the page. */
    public static void assertRefused(String dom) {
        assertThat(dom).doesNotContain("fetched").doesNotContain("waiting").doesNotContain("sandbox app")
                .containsAnyOf("forbidden", "unauthorized");
    }
}
