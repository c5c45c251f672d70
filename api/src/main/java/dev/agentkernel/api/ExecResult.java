package dev.agentkernel.api;

import java.time.Duration;
import java.util.Objects;

/**
 * The outcome of a command. A non-zero exit is a normal result, not an error.
 *
 * @param output   stdout and stderr interleaved in arrival order
 * @param timedOut the timeout fired, or the call was cancelled, and the process tree was killed
 * @param truncated at least one stream exceeded its cap and was cut
 */
public record ExecResult(int exitCode, String stdout, String stderr, String output, Duration duration,
                         boolean timedOut, boolean truncated) {
    /** The exit code of a command killed for its timeout or a cancellation (128 + SIGKILL), on every backend. */
    public static final int KILLED_EXIT_CODE = 137;

    public ExecResult {
        stdout = Objects.requireNonNullElse(stdout, "");
        stderr = Objects.requireNonNullElse(stderr, "");
        output = Objects.requireNonNullElse(output, "");
        duration = Objects.requireNonNullElse(duration, Duration.ZERO);
    }
}
