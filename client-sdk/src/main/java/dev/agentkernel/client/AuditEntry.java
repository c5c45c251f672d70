package dev.agentkernel.client;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One audit log record of a sandbox ({@code sandbox_created}, {@code command_executed}, {@code file_written}, ...).
 *
 * @param details the event's other fields (argv, exit_code, path, ...) as sent, snake_case keys
 */
public record AuditEntry(Instant timestamp, String event, String sandbox, Map<String, Object> details) {
    public AuditEntry {
        Objects.requireNonNull(event, "event");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }
}
