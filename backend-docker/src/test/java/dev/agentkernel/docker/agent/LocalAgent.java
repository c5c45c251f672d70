package dev.agentkernel.docker.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/** The bundled agent run as a local child process over pipes: the protocol without Docker. */
final class LocalAgent implements AutoCloseable {
    final Process process;
    final AgentClient client;

    LocalAgent(Path dir) {
        Path exe = AgentBinary.bundled().writeTo(dir.resolve("agentkernel-agent"));
        try {
            process = new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        client = AgentClient.connect("local", process.getInputStream(), process.getOutputStream(),
                process::destroyForcibly, Duration.ofSeconds(10));
    }

    @Override
    public void close() throws InterruptedException {
        client.close();
        process.destroyForcibly().waitFor();
    }
}
