package dev.agentkernel.security;

import dev.agentkernel.testkit.ChildJvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server ({@code dev.agentkernel.server.Main}) in a child JVM, so that it can be killed with SIGKILL
 * mid-operation and started again on the same audit file. Its containers carry the child's instance id
 * ({@code host/pid/nonce}), found by the pid.
 */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

    final int port;
    final RawHttp http;
    final long startMs;
    private final ChildJvm jvm;

    private ChildServer(ChildJvm jvm, int port, String key, long startMs) {
        this.jvm = jvm;
        this.port = port;
        this.http = new RawHttp(port, key);
        this.startMs = startMs;
    }

    /** Starts a server with its home, working directory and audit file under {@code dir}; waits until it listens. */
    static ChildServer start(Path dir, String apiKey) throws IOException {
        return start(dir, apiKey, new String[0]);
    }

    /** Like {@link #start(Path, String)} with more arguments of {@code Main}; {@code apiKey} null for none. */
    static ChildServer start(Path dir, String apiKey, String... args) throws IOException {
        long t0 = System.nanoTime();
        ChildJvm jvm = launch(dir, apiKey, args);
        Matcher m = LISTENING.matcher(jvm.awaitLine(l -> LISTENING.matcher(l).find(), Duration.ofSeconds(90)));
        if (!m.find()) {
            throw new IllegalStateException("no port in the child's answer");
        }
        return new ChildServer(jvm, Integer.parseInt(m.group(1)), apiKey, (System.nanoTime() - t0) / 1_000_000);
    }

    /** The server's JVM, started and not waited for; stdout and stderr joined. */
    static ChildJvm launch(Path dir, String apiKey, String... args) throws IOException {
        String cp = Files.readString(Path.of(System.getProperty("suite.server.classpath"))).trim();
        Path home = Files.createDirectories(dir.resolve("home"));
        String[] argv = new String[args.length + 2];
        argv[0] = "--port";
        argv[1] = "0";
        System.arraycopy(args, 0, argv, 2, args.length);
        ChildJvm.Builder b = ChildJvm.of("dev.agentkernel.server.Main", argv).classPath(cp)
                .jvmOptions("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.home=" + home,
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .workingDirectory(home)
                .env("AGENTKERNEL_AUDIT_PATH", dir.resolve("audit.jsonl").toString())
                .env("AGENTKERNEL_POOL_SIZE", "1")
                .env("AGENTKERNEL_MAX_CONCURRENT_RUNS", "8")
                .unsetEnv("AGENTKERNEL_CONFIG")
                .maxLife(Duration.ofMinutes(30));
        return (apiKey == null ? b.unsetEnv("AGENTKERNEL_API_KEY") : b.env("AGENTKERNEL_API_KEY", apiKey)).start();
    }

    /** What the server printed so far. */
    java.util.List<String> lines() {
        return jvm.lines();
    }

    long pid() {
        return jvm.pid();
    }

    /** SIGKILL: no shutdown hook, no cleanup, as in a crash. */
    void kill9() {
        jvm.kill9();
    }

    /** Graceful stop (SIGTERM): the server drains and removes its temporaries. */
    @Override
    public void close() {
        jvm.close();
    }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }
}
