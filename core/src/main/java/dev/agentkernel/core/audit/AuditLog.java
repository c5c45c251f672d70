package dev.agentkernel.core.audit;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.LogQuery;

import java.nio.file.Path;
import java.util.List;

/**
 * The audit record: append-only, one JSON object per line (JSON Lines). Thread-safe.
 *
 * <p>Line format: {@code {"timestamp":"<ISO-8601 UTC>","event":"...","sandbox":"..." or null, <details...>,
 * "prev":"<SHA-256 hex of the previous line>"}}; details are flattened into the object with snake_case keys.
 * Every {@link #record} is written, flushed and forced to disk before it returns; when it cannot be, it throws
 * {@link #unwritable} and the caller must refuse the operation (fail closed).
 */
public interface AuditLog extends AutoCloseable {

    /** Appends one event, on disk when this returns. Throws {@code BACKEND_UNAVAILABLE} when it cannot. */
    void record(AuditEvent event);

    /** Events of one sandbox (exact name), oldest first; {@code limit} keeps the most recent. */
    List<AuditEvent> query(String sandbox, LogQuery query);

    /** Checks the hash chain from the first line. */
    Verification verify();

    boolean enabled();

    @Override
    void close();

    /** A file-backed log at {@code path} (parent directories are created). */
    static AuditLog open(Path path) {
        return new FileAuditLog(path);
    }

    /** A log that records nothing ({@code AGENTKERNEL_AUDIT=0}). */
    static AuditLog disabled() {
        return DisabledAuditLog.INSTANCE;
    }

    /** The error every operation fails with when its event cannot be recorded. */
    static AgentKernelException unwritable(Throwable cause) {
        return new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE,
                "The audit log is unwritable; the operation was refused", cause);
    }

    /**
     * The result of {@link #verify()}.
     *
     * @param ok           every line chains to the one before it
     * @param lines        lines read
     * @param skipped      unparseable lines skipped (a torn write after a crash)
     * @param firstBadLine 1-based number of the first line that does not chain, or 0 when ok
     * @param reason       what is wrong, or null when ok
     */
    record Verification(boolean ok, long lines, long skipped, long firstBadLine, String reason) {
    }
}
