package dev.agentkernel.mcp;

/**
 * Where a tool reports progress while it works. Over MCP this becomes {@code notifications/progress} for the
 * request's {@code progressToken}; when the client sent no token, progress goes nowhere.
 */
@FunctionalInterface
public interface ProgressSink {
    ProgressSink NONE = message -> { };

    /** Reports one step; each report counts as one unit of progress. Must not throw. */
    void report(String message);
}
