package dev.agentkernel.cli;

import dev.agentkernel.core.ExecResult;

/** The exit status of {@code run} and {@code exec}: the command's own, or 124 when it was killed on timeout. */
public final class ExitStatus {
    private ExitStatus() {
    }

    public static int of(ExecResult result, Console console) {
        if (result.truncated()) {
            console.warn("output was cut at the output limit");
        }
        if (result.timedOut()) {
            console.err().println("error: the command timed out after " + result.duration().toMillis()
                    + " ms and was killed");
            return ExitCodes.COMMAND_TIMED_OUT;
        }
        return result.exitCode();
    }
}
