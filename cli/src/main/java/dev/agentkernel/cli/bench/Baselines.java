package dev.agentkernel.cli.bench;

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
        samples.time(() -> cli(List.of("docker", "run", "--rm", "--label", DockerJavaBaseline.LABEL + "=" + runId,
                image, "echo", "hello")));
    }

    /** {@code docker exec C echo hello} on a long-running container of this run. */
    void dockerExecCli(Samples samples) {
        String c = dockerJava.container();
        samples.time(() -> cli(List.of("docker", "exec", c, "echo", "hello")));
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
