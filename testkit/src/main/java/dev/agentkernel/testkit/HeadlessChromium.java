package dev.agentkernel.testkit;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real browser for the tests that must see what a user sees (a sandbox's web page through a signed port URL):
 * Debian's {@code chromium} package, run headless once per page. {@code scripts/test.sh} installs it when missing;
 * a test that needs it fails (never skips) when it is not there, saying how to install it.
 *
 * <p>Each call starts a fresh browser with its own empty profile (no cookie survives from one call to the next),
 * no proxy, and a virtual time budget so that the page's own scripts and their fetches finish before the DOM is
 * dumped or the screenshot taken. Chromium resolves every {@code *.localhost} name to loopback by itself.
 */
public final class HeadlessChromium {
    /** Where to look, in order, when {@code AGENTKERNEL_CHROMIUM} does not name the binary. */
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome");
    /** Virtual time the page gets for its scripts and sub-requests before the result is taken. */
    private static final int VIRTUAL_TIME_MS = 5_000;

    private final Path binary;
    private final Duration timeout;

    private HeadlessChromium(Path binary, Duration timeout) {
        this.binary = binary;
        this.timeout = timeout;
    }

    /** The installed browser, or an {@link AssertionError} saying how to install one. */
    public static HeadlessChromium find() {
        String configured = System.getenv("AGENTKERNEL_CHROMIUM");
        if (configured != null && !configured.isBlank()) {
            return new HeadlessChromium(Path.of(configured), Duration.ofSeconds(90));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            for (String name : NAMES) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return new HeadlessChromium(p, Duration.ofSeconds(90));
                }
            }
        }
        throw new AssertionError("No Chromium found (looked for " + NAMES + " on PATH and AGENTKERNEL_CHROMIUM): "
                + "install Debian's package (apt-get install chromium), as scripts/test.sh does");
    }

    /** The same browser with another limit per page (default 90 s: a first start on a busy machine is slow). */
    public HeadlessChromium withTimeout(Duration value) {
        return new HeadlessChromium(binary, value);
    }

    public Path binary() {
        return binary;
    }

    /** The DOM after the page's scripts ran, as HTML ({@code --dump-dom}). */
    public String dumpDom(URI url) {
        Result r = run(List.of("--dump-dom", url.toString()));
        return r.stdout();
    }

    /** A screenshot of the page in a {@code width} x {@code height} window ({@code --screenshot}), as pixels. */
    public BufferedImage screenshot(URI url, int width, int height) {
        Path dir = tempDir("agentkernel-shot-");
        Path png = dir.resolve("page.png");
        try {
            Result r = run(List.of("--window-size=" + width + "," + height, "--hide-scrollbars",
                    "--screenshot=" + png, url.toString()));
            if (!Files.isRegularFile(png)) {
                throw new AssertionError("Chromium wrote no screenshot of " + url + ":\n" + r.stderr());
            }
            BufferedImage image = ImageIO.read(png.toFile());
            if (image == null) {
                throw new AssertionError("the screenshot of " + url + " is not a PNG");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    /** The share of pixels within {@code tolerance} (per channel) of {@code rgb}, 0 to 1. */
    public static double share(BufferedImage image, int rgb, int tolerance) {
        long hits = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs(((p >> 16) & 0xff) - ((rgb >> 16) & 0xff)) <= tolerance
                        && Math.abs(((p >> 8) & 0xff) - ((rgb >> 8) & 0xff)) <= tolerance
                        && Math.abs((p & 0xff) - (rgb & 0xff)) <= tolerance) {
                    hits++;
                }
            }
        }
        return (double) hits / ((long) image.getWidth() * image.getHeight());
    }

    private Result run(List<String> args) {
        Path profile = tempDir("agentkernel-chromium-");
        Path out = profile.resolve("stdout.txt");
        Path err = profile.resolve("stderr.txt");
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--no-proxy-server", "--user-data-dir=" + profile.resolve("profile"),
                "--virtual-time-budget=" + VIRTUAL_TIME_MS));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        // Chromium would pick a proxy from these, and a headless run needs no display.
        env.keySet().removeIf(k -> k.equalsIgnoreCase("http_proxy") || k.equalsIgnoreCase("https_proxy")
                || k.equalsIgnoreCase("all_proxy") || k.equals("DISPLAY"));
        try {
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("Chromium took longer than " + timeout + " for " + args + ":\n"
                        + read(err));
            }
            Result r = new Result(p.exitValue(), read(out), read(err));
            if (r.exit() != 0) {
                throw new AssertionError("Chromium failed (exit " + r.exit() + ") for " + args + ":\n" + r.stderr());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            deleteTree(profile);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }

    private record Result(int exit, String stdout, String stderr) {
    }
}
