package dev.agentkernel.api;

/** One item of a batch: exactly one of {@code result} and {@code error} is set. */
public record BatchOutcome(RunResult result, AgentKernelException error) {
    public BatchOutcome {
        if ((result == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of result and error must be set");
        }
    }

    public static BatchOutcome ok(RunResult result) {
        return new BatchOutcome(result, null);
    }

    public static BatchOutcome failed(AgentKernelException error) {
        return new BatchOutcome(null, error);
    }
}
