package dev.agentkernel.client;

import java.time.Duration;
import java.util.Objects;

/**
 * The outcome of a command ({@code run}, {@code exec}, a batch item). A non-zero exit code is a normal result.
 *
 * @param output    stdout and stderr interleaved in arrival order (what the seed API calls {@code output})
 * @param timedOut  the command's timeout fired and its process tree was killed
 * @param truncated output went over the server's cap and was cut
 */
public record ExecResult(int exitCode, String stdout, String stderr, String output, Duration duration,
                         boolean timedOut, boolean truncated) {
    public ExecResult {
        stdout = Objects.requireNonNullElse(stdout, "");
        stderr = Objects.requireNonNullElse(stderr, "");
        output = Objects.requireNonNullElse(output, "");
        duration = Objects.requireNonNullElse(duration, Duration.ZERO);
    }

    /** Exit code 0 and no timeout. */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }
}
