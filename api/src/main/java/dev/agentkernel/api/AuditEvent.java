package dev.agentkernel.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One audit record. {@code details} holds event-specific fields (argv, exit_code, duration_ms, path, size,
 * profile, limits, caller, reason...) with snake_case keys; never file contents or secrets.
 * Event names: sandbox_created, sandbox_started, sandbox_stopped, sandbox_removed, command_executed,
 * file_written, file_read, file_deleted, auth_failed, request_refused, policy_violation.
 *
 * @param sandbox the sandbox name, or null for events not tied to one (e.g. auth_failed)
 */
public record AuditEvent(Instant timestamp, String event, String sandbox, Map<String, Object> details) {
    public AuditEvent {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(event, "event");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }
}
