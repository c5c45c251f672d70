package dev.agentkernel.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * A command started in the background in a named sandbox ({@link Sandboxes#execDetached}). It lives in the sandbox
 * (its agent owns it), not in the process that started it: it survives a restart of agentkernel, and dies with its
 * sandbox (stop or removal). Its output is kept in the sandbox up to the cap of the request, per stream.
 *
 * @param id        short id, unique within the sandbox
 * @param pid       the command's process id inside the sandbox
 * @param exitCode  null while running; the exit status, or 128+N when killed by signal N
 * @param truncated output beyond the cap was dropped (on either stream)
 */
public record DetachedCommand(String id, String sandbox, List<String> command, int pid, Status status,
                              Integer exitCode, Instant startedAt, boolean truncated) {
    /** Upstream's states: {@code completed} is exit 0, {@code failed} any other end (killed included). */
    public enum Status {
        RUNNING, COMPLETED, FAILED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Which of a detached command's outputs to read. */
    public enum Stream {
        STDOUT, STDERR;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public DetachedCommand {
        Validation.detachedId(id);
        Validation.sandboxName(sandbox);
        command = List.copyOf(command);
        Objects.requireNonNull(status, "status");
        if ((status == Status.RUNNING) != (exitCode == null)) {
            throw new IllegalArgumentException("a running command has no exit code, an ended one has one");
        }
        startedAt = startedAt == null ? null : startedAt.truncatedTo(ChronoUnit.MILLIS);
    }

    public boolean running() {
        return status == Status.RUNNING;
    }
}
