package dev.agentkernel.cli;

import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecResult;

/** The exit status of {@code run} and {@code exec}: the command's own, or 124 when it was killed on timeout. */
public final class ExitStatus {
    private ExitStatus() {
    }

    /** Exit status when the user interrupted the command (Ctrl-C, SIGTERM): 128 + SIGINT, as shells report it. */
    public static final int INTERRUPTED = 130;

    public static int of(ExecResult result, Console console, Cancellation cancellation) {
        if (cancellation.isCancelled()) {
            console.err().println("agentkernel: interrupted; the command was killed");
            return INTERRUPTED;
        }
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
