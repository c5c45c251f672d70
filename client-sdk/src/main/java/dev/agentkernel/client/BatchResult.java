package dev.agentkernel.client;

/**
 * One item of a batch, in input order: either the command's result, or the error that kept it from running.
 * A command that ran and exited non-zero is a result, not an error.
 */
public record BatchResult(ExecResult result, String error) {

    public boolean isOk() {
        return error == null && result != null;
    }
}
