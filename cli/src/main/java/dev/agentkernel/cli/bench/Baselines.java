package dev.agentkernel.cli.bench;

import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.docker.bench.DockerJavaBaseline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * What a user would otherwise use, measured in the same run: {@code docker run --rm IMAGE echo} and
 * {@code docker exec} through the docker CLI (when it is installed), and a raw docker-java exec round trip in
 * this process. Every container made here carries the label {@code dev.agentkernel.bench=<run id>} and is
 * removed at the end.
 */
final class Baselines implements AutoCloseable {
    private final String image;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final DockerJavaBaseline dockerJava;

    Baselines(String image) {
        this.image = image;
        this.dockerJava = new DockerJavaBaseline(image, runId);
    }

    String engineVersion() {
        return dockerJava.engineVersion();
    }

    static boolean dockerCliPresent() {
        try {
            Process p = new ProcessBuilder("docker", "version", "--format", "{{.Client.Version}}")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code docker run --rm IMAGE echo hello}, as a user types it. */
    void dockerRun(Samples samples) {
        dockerRun(samples, null);
    }

    /** The same under a runtime of the engine ({@code runsc}), or its default when null. */
    void dockerRun(Samples samples, String runtime) {
        samples.time(() -> cli(withRuntime(List.of("docker", "run", "--rm", "--label", DockerJavaBaseline.LABEL + "="
                + runId), runtime, image, "echo", "hello")));
    }

    /** Whether the sandboxes' network exists (made by the first server that made a sandbox on this engine). */
    boolean sandboxNetworkPresent() {
        return dockerJava.networkPresent(DockerBackend.SANDBOX_NETWORK);
    }

    /**
     * {@code docker run --rm --network <the sandboxes' network> IMAGE echo hello}: the same engine work as the plain
     * baseline plus what every networked sandbox's start costs on our bridge (the engine's DNS resolver and its rules
     * in the container's namespace on a user-defined network).
     */
    void dockerRunOnSandboxNetwork(Samples samples) {
        samples.time(() -> cli(List.of("docker", "run", "--rm", "--label", DockerJavaBaseline.LABEL + "=" + runId,
                "--network", DockerBackend.SANDBOX_NETWORK, image, "echo", "hello")));
    }

    /** Wall nanoseconds to create and start {@code n} containers on the sandboxes' network, {@code atOnce} at a time. */
    long createAndStartOnSandboxNetwork(int n, int atOnce) throws InterruptedException {
        return dockerJava.createAndStart(DockerBackend.SANDBOX_NETWORK, n, atOnce);
    }

    /** {@code docker exec C echo hello} on a long-running container of this run. */
    void dockerExecCli(Samples samples) {
        String c = dockerJava.container();
        samples.time(() -> cli(List.of("docker", "exec", c, "echo", "hello")));
    }

    /** {@code docker exec} on a long-running container of the runtime (its default when null). */
    void dockerExecCli(Samples samples, String runtime) {
        String c = runtimeContainer(runtime);
        samples.time(() -> cli(List.of("docker", "exec", c, "echo", "hello")));
    }

    /** 100 fork+exec of {@code true} in one {@code docker exec}: where gVisor's system call cost shows. */
    void forkExec(Samples samples, String runtime) {
        String c = runtimeContainer(runtime);
        samples.time(() -> cli(List.of("docker", "exec", c, "sh", "-c",
                "i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done; echo hello")));
    }

    /** Whether the engine has this runtime registered ({@code docker info}). */
    static boolean runtimePresent(String runtime) {
        try {
            Process p = new ProcessBuilder("docker", "info", "--format", "{{json .Runtimes}}").redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor(20, TimeUnit.SECONDS) && out.contains("\"" + runtime + "\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private final java.util.Map<String, String> runtimeContainers = new java.util.HashMap<>();

    /** A sleeping container of this run under the runtime, made once (removed with the run's label at close). */
    private synchronized String runtimeContainer(String runtime) {
        return runtimeContainers.computeIfAbsent(String.valueOf(runtime), k -> {
            try {
                Process p = new ProcessBuilder(withRuntime(List.of("docker", "run", "-d", "--pids-limit", "512",
                        "--label", DockerJavaBaseline.LABEL + "=" + runId), runtime, image, "sleep", "600"))
                        .redirectErrorStream(true).start();
                String id = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException("cannot start a " + k + " container: " + id);
                }
                return id;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    private static List<String> withRuntime(List<String> head, String runtime, String... tail) {
        List<String> cmd = new java.util.ArrayList<>(head);
        if (runtime != null) {
            cmd.addAll(List.of("--runtime", runtime));
        }
        cmd.addAll(List.of(tail));
        return cmd;
    }

    /** exec create + start (attached) + inspect with docker-java, in this process. */
    void dockerJavaExec(Samples samples) {
        samples.time(dockerJava::execEcho);
    }

    private static void cli(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 60 s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0 || !text.equals("hello\n")) {
            throw new IOException(command.get(1) + " exited " + p.exitValue() + ": " + text.trim());
        }
    }

    @Override
    public void close() throws IOException {
        dockerJava.close();
    }
}
