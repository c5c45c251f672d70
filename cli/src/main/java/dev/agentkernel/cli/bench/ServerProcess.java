package dev.agentkernel.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An agentkernel server started for the benchmark as a child JVM on this class path ({@code --port 0}, audit log
 * in a temporary directory), so its resident memory can be read from {@code /proc} on its own.
 */
final class ServerProcess implements AutoCloseable {
    static final String MAIN = "dev.agentkernel.server.Main";
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private final Process process;
    private final URI url;
    private final Path dir;
    private final List<String> jvmOptions;

    private ServerProcess(Process process, URI url, Path dir, List<String> jvmOptions) {
        this.process = process;
        this.url = url;
        this.dir = dir;
        this.jvmOptions = jvmOptions;
    }

    /** The JVM options the launcher gives {@code agentkernel serve} (one line of {@code serve.jvm-options}). */
    static String serveJvmOptions() {
        try (var in = ServerProcess.class.getResourceAsStream("/dev/agentkernel/cli/serve.jvm-options")) {
            if (in == null) {
                throw new IllegalStateException("serve.jvm-options is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static boolean available() {
        try {
            Class.forName(MAIN, false, ServerProcess.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static ServerProcess start(List<String> jvmOptions, Map<String, String> env) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("agentkernel-bench-");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN);
        cmd.add("--port");
        cmd.add("0");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("AGENTKERNEL_AUDIT_PATH", dir.resolve("audit.jsonl").toString());
        pb.environment().remove("AGENTKERNEL_PORT");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<URI> url = new CompletableFuture<>();
        Path log = dir.resolve("server.log");
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 var out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.write(line);
                    out.newLine();
                    out.flush();
                    Matcher m = LISTENING.matcher(line);
                    if (!url.isDone() && m.find()) {
                        url.complete(URI.create(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the server went away; start() reports it if it was waiting
            }
            url.completeExceptionally(new IOException("the server exited before listening; see " + log));
        }, "bench-server-log");
        pump.setDaemon(true);
        pump.start();
        try {
            return new ServerProcess(p, url.get(90, TimeUnit.SECONDS), dir, jvmOptions);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException("could not start the server (" + e.getMessage() + "); its log: " + log, e);
        }
    }

    URI url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    List<String> jvmOptions() {
        return jvmOptions;
    }

    /** Resident set size in MiB, from /proc (Linux). */
    double rssMib() {
        return rssMib(process.pid());
    }

    static double rssMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux, or the process is gone
        }
        return Double.NaN;
    }

    /**
     * Stops gracefully (SIGTERM: the server drains its pool and removes its temporaries), then forcibly. The
     * temporary directory (audit log, server log) goes with a server that stopped when asked; one that had to be
     * killed leaves it behind, for its log.
     */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory left behind; nothing else depends on it
        }
    }
}
