package dev.agentkernel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The published upstream Node SDK ({@value #PACKAGE} from npm) as a user runs it, for the ITs that check our server
 * against it: installed into a build directory at test time, then driven one snippet at a time by {@code node}.
 *
 * <p>A snippet is the body of an async JavaScript function in which {@code client} is the SDK's {@code AgentKernel}
 * bound to the server URL (and API key) and {@code sdk} is the SDK module (its error classes). Whatever the snippet
 * returns comes back as JSON: {@code {"ok":true,"value":...}}, or, when it throws,
 * {@code {"ok":false,"error":"NotFoundError","message":"..."}} (the SDK's error class name and message), so a test
 * asserts on what the SDK itself made of our answers. Depends on the JDK only: callers parse the JSON.
 */
public final class NodeSdk {
    /** The npm package under test, pinned: the wire contract in docs is read from this version. */
    public static final String PACKAGE = "agentkernel@0.18.1";
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

    private final Path dir;
    private final AtomicInteger scripts = new AtomicInteger();

    private NodeSdk(Path dir) {
        this.dir = dir;
    }

    /** Whether {@code node} and {@code npm} can be run here (tests assume it, as Docker tests assume the engine). */
    public static boolean toolsAvailable() {
        try {
            return run(List.of("node", "--version"), Path.of("."), Duration.ofSeconds(20)).exit() == 0
                    && run(List.of("npm", "--version"), Path.of("."), Duration.ofSeconds(20)).exit() == 0;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /**
     * Installs {@value #PACKAGE} into {@code dir} (e.g. {@code target/node-sdk}) unless it is there already;
     * fails with npm's output when the registry cannot be reached.
     */
    public static NodeSdk install(Path dir) {
        Path installed = dir.resolve("node_modules/agentkernel/package.json");
        try {
            Files.createDirectories(dir);
            if (!Files.exists(installed) || !Files.readString(installed).contains("\"version\": \""
                    + PACKAGE.substring(PACKAGE.indexOf('@') + 1) + "\"")) {
                Files.writeString(dir.resolve("package.json"), "{\"name\":\"agentkernel-sdk-harness\",\"private\":true}\n");
                Result r = run(List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error",
                        PACKAGE), dir, INSTALL_TIMEOUT);
                if (r.exit() != 0) {
                    throw new AssertionError("npm install " + PACKAGE + " failed (" + r.exit() + "): " + r.output());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NodeSdk(dir);
    }

    /**
     * Runs {@code snippet} with {@code client} bound to {@code baseUrl} ({@code apiKey} may be null) and returns
     * the one JSON line described in the class comment. Fails when node itself fails (a syntax error, a crash).
     */
    public String call(String baseUrl, String apiKey, String snippet) {
        Path script = dir.resolve("case-" + scripts.incrementAndGet() + ".mjs");
        String source = "import * as sdk from 'agentkernel';\n"
                + "const client = new sdk.AgentKernel({ baseUrl: " + jsString(baseUrl)
                + (apiKey == null ? "" : ", apiKey: " + jsString(apiKey)) + ", timeout: 120000 });\n"
                + "let out;\n"
                + "try {\n"
                + "  const value = await (async () => {\n" + snippet + "\n  })();\n"
                + "  out = { ok: true, value: value === undefined ? null : value };\n"
                + "} catch (e) {\n"
                + "  out = { ok: false, error: e?.constructor?.name ?? String(e), message: e?.message ?? String(e) };\n"
                + "}\n"
                + "process.stdout.write('\\n' + JSON.stringify(out) + '\\n');\n";
        try {
            Files.writeString(script, source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The script lives beside node_modules, so 'agentkernel' resolves to the installed package.
        Result r = run(List.of("node", script.getFileName().toString()), dir, CALL_TIMEOUT);
        String[] lines = r.output().strip().split("\n");
        String last = lines[lines.length - 1];
        if (r.exit() != 0 || !last.startsWith("{\"ok\":")) {
            throw new AssertionError("node failed (" + r.exit() + ") on:\n" + snippet + "\noutput:\n" + r.output());
        }
        return last;
    }

    /** A JavaScript string literal of {@code s} (JSON's escaping is valid JavaScript). */
    public static String jsString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, Path cwd, Duration max) {
        try {
            Path log = Files.createTempFile("node-sdk", ".log");
            try {
                Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!p.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    return new Result(-1, "timed out after " + max + ": " + Files.readString(log));
                }
                return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
