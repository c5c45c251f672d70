package dev.agentkernel.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A main class run in a child JVM with this JVM's Java and (by default) class path, as the crash and restart tests
 * need: a process that can be killed with SIGKILL, so nothing of its own clean-up runs. Its stdout is read line by
 * line (until a line the test waits for, then drained in the background so the child never blocks on a full pipe);
 * stderr goes to a file or joins stdout. A child still running after {@code maxLife} is killed, so a hang cannot
 * hang the build.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    private ChildJvm(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts building a child that runs {@code mainClass} with {@code args}. */
    public static Builder of(String mainClass, String... args) {
        return new Builder(mainClass, List.of(args));
    }

    /**
     * Reads stdout until a line matches {@code wanted} (returned), then keeps draining it in the background; fails
     * with everything the child said when the output ends or {@code max} passes first.
     */
    public String awaitLine(Predicate<String> wanted, Duration max) {
        CompletableFuture<String> found = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                    if (wanted.test(line)) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String line;
        try {
            line = found.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new AssertionError("the child did not say what was awaited in " + max + "; it said: " + lines, e);
        }
        if (line == null) {
            throw new AssertionError("the child ended without saying what was awaited; it said: " + lines);
        }
        drainInBackground();
        return line;
    }

    /** Every stdout line read so far. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** SIGKILL, as in a crash: no shutdown hook runs. Waits for the process to end. */
    public void kill9() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(60));
    }

    /** SIGTERM (the child's shutdown hooks run), then SIGKILL if it has not ended within 60 s. */
    @Override
    public void close() {
        process.destroy();
        if (!waitFor(Duration.ofSeconds(60))) {
            kill9();
        }
    }

    private boolean waitFor(Duration max) {
        try {
            return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    private void drainInBackground() {
        Thread drain = new Thread(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ended) {
                // the process ended
            }
        }, "child-jvm-drain-" + process.pid());
        drain.setDaemon(true);
        drain.start();
    }

    /** How the child is started. */
    public static final class Builder {
        private final String mainClass;
        private final List<String> args;
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> unsetEnv = new ArrayList<>();
        private String classPath = System.getProperty("java.class.path");
        private Path workingDirectory;
        private Path stderr;
        private Duration maxLife = Duration.ofMinutes(3);

        private Builder(String mainClass, List<String> args) {
            this.mainClass = mainClass;
            this.args = args;
        }

        /** JVM options before the main class, e.g. {@code -Xmx256m} or {@code -Dkey=value}. */
        public Builder jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /** Another class path than this JVM's. */
        public Builder classPath(String cp) {
            this.classPath = cp;
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** Removes a variable this JVM has from the child's environment. */
        public Builder unsetEnv(String key) {
            unsetEnv.add(key);
            return this;
        }

        public Builder workingDirectory(Path dir) {
            this.workingDirectory = dir;
            return this;
        }

        /** stderr to this file instead of joined with stdout. */
        public Builder stderrTo(Path file) {
            this.stderr = file;
            return this;
        }

        /** Killed after this long whatever happens (default 3 minutes). */
        public Builder maxLife(Duration life) {
            this.maxLife = life;
            return this;
        }

        public ChildJvm start() {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.add("-cp");
            cmd.add(classPath);
            cmd.add(mainClass);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            unsetEnv.forEach(pb.environment()::remove);
            pb.environment().putAll(env);
            if (workingDirectory != null) {
                pb.directory(workingDirectory.toFile());
            }
            if (stderr != null) {
                pb.redirectError(stderr.toFile());
            } else {
                pb.redirectErrorStream(true);
            }
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + mainClass, e);
            }
            CompletableFuture.delayedExecutor(maxLife.toMillis(), TimeUnit.MILLISECONDS).execute(p::destroyForcibly);
            return new ChildJvm(p);
        }
    }
}
