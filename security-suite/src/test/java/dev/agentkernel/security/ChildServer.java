package dev.agentkernel.security;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server ({@code dev.agentkernel.server.Main}) in a child JVM, so that it can be killed with SIGKILL
 * mid-operation and started again on the same audit file. Its containers carry the child's instance id
 * ({@code host/pid/nonce}), found by the pid.
 */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

    final Process process;
    final int port;
    final RawHttp http;
    final long startMs;

    private ChildServer(Process process, int port, String key, long startMs) {
        this.process = process;
        this.port = port;
        this.http = new RawHttp(port, key);
        this.startMs = startMs;
    }

    /** Starts a server with its home, working directory and audit file under {@code dir}; waits until it listens. */
    static ChildServer start(Path dir, String apiKey) throws IOException {
        return start(dir, apiKey, List.of(), new StringBuilder());
    }

    /**
     * @param apiKey null for none
     * @param args   extra arguments of {@code Main}
     * @param seen   receives what the server printed until it listened
     */
    static ChildServer start(Path dir, String apiKey, List<String> args, StringBuilder seen) throws IOException {
        long t0 = System.nanoTime();
        Process p = launch(dir, apiKey, args);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.currentTimeMillis() + 90_000;
        String line;
        while (System.currentTimeMillis() < deadline && (line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                int port = Integer.parseInt(m.group(1));
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe from filling up
                        }
                    } catch (IOException ignored) {
                        // process ended
                    }
                }, "child-server-drain");
                drain.setDaemon(true);
                drain.start();
                return new ChildServer(p, port, apiKey, (System.nanoTime() - t0) / 1_000_000);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("child server did not start:\n" + seen);
    }

    /** The server process, not waited for; stdout and stderr merged. */
    static Process launch(Path dir, String apiKey, List<String> args) throws IOException {
        String cp = Files.readString(Path.of(System.getProperty("suite.server.classpath"))).trim();
        Path home = Files.createDirectories(dir.resolve("home"));
        List<String> argv = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.home=" + home,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp, "dev.agentkernel.server.Main", "--port", "0"));
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv).directory(home.toFile()).redirectErrorStream(true);
        if (apiKey == null) {
            pb.environment().remove("AGENTKERNEL_API_KEY");
        } else {
            pb.environment().put("AGENTKERNEL_API_KEY", apiKey);
        }
        pb.environment().put("AGENTKERNEL_AUDIT_PATH", dir.resolve("audit.jsonl").toString());
        pb.environment().put("AGENTKERNEL_POOL_SIZE", "1");
        pb.environment().put("AGENTKERNEL_MAX_CONCURRENT_RUNS", "8");
        pb.environment().remove("AGENTKERNEL_CONFIG");
        return pb.start();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no cleanup, as in a crash. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Graceful stop (SIGTERM): the server drains and removes its temporaries. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }
}
