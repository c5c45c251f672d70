package dev.agentkernel.api;

/**
 * Follows a streaming run or exec: {@code started}, then {@code progress} stages, then {@code output} chunks
 * as produced, then {@code done}. Errors are thrown by the streaming call itself. Called on backend threads.
 */
public interface RunListener extends OutputListener {
    /** Listens to nothing. */
    RunListener NONE = new RunListener() { };

    /** Stages of a run, in order. An exec in a named sandbox reports only {@link #EXECUTING}. */
    enum Stage {
        CREATING, STARTING, EXECUTING;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A run has its temporary sandbox: the name, the image it runs in, why that image when it is a fallback
     * (else null), and whether a warm pool sandbox serves it. An exec in a named sandbox does not report this.
     */
    default void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
    }

    default void onProgress(Stage stage) {
    }

    @Override
    default void onOutput(OutputChunk chunk) {
    }

    default void onDone(ExecResult result) {
    }
}
