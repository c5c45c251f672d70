package dev.agentkernel.api;

/**
 * Follows a streaming run or exec: {@code started}, then {@code progress} stages, then {@code output} chunks
 * as produced, then {@code done}. Errors are thrown by the streaming call itself. Called on backend threads.
 */
public interface RunListener extends OutputListener {
    /** Stages of a run, in order. An exec in a named sandbox reports only {@link #EXECUTING}. */
    enum Stage {
        CREATING, STARTING, EXECUTING;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    default void onStarted(String sandbox) {
    }

    default void onProgress(Stage stage) {
    }

    @Override
    default void onOutput(OutputChunk chunk) {
    }

    default void onDone(ExecResult result) {
    }
}
