package dev.agentkernel.client;

import java.time.Duration;
import java.util.Objects;

/**
 * One event of {@code /run/stream} or {@code /sandboxes/{name}/exec/stream}, in the order the server sent it:
 * {@link Started}, {@link Progress} stages, {@link Output} chunks as produced, then exactly one terminal event,
 * {@link Done} or {@link Error}.
 */
public sealed interface StreamEvent {

    /** Whether this event ends the stream. */
    default boolean isTerminal() {
        return false;
    }

    /**
     * A run started in its temporary sandbox {@code sandbox}, in {@code image} ({@code imageNote} says why when it
     * is a fallback), served by the warm pool when {@code pooled}. Fields the server did not send are null/false.
     */
    record Started(String sandbox, String image, String imageNote, boolean pooled) implements StreamEvent {
    }

    /** A stage of the run: {@code creating}, {@code starting}, {@code executing}. */
    record Progress(String stage) implements StreamEvent {
        public Progress {
            Objects.requireNonNull(stage, "stage");
        }
    }

    /**
     * Output as produced.
     *
     * @param stream {@code stdout} or {@code stderr}, or null when the server did not say
     */
    record Output(String content, String stream) implements StreamEvent {
        public Output {
            content = Objects.requireNonNullElse(content, "");
        }

        public boolean isStderr() {
            return "stderr".equals(stream);
        }
    }

    /** The command ended; a non-zero exit code is a normal end. {@code truncated}: output went over the cap. */
    record Done(int exitCode, Duration duration, boolean timedOut, boolean truncated) implements StreamEvent {
        public Done {
            duration = Objects.requireNonNullElse(duration, Duration.ZERO);
        }

        @Override
        public boolean isTerminal() {
            return true;
        }
    }

    /** The run failed (e.g. the image is missing); {@code code} is the server's machine code when it sent one. */
    record Error(String message, String code) implements StreamEvent {
        public Error {
            message = Objects.requireNonNullElse(message, "");
        }

        @Override
        public boolean isTerminal() {
            return true;
        }
    }
}
