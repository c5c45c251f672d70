package dev.agentkernel.client;

import java.util.Map;
import java.util.Objects;

/**
 * The server's {@code /health}: {@code status} is {@code ok}, or {@code unavailable} when its container engine is
 * down (the server answers 503 then; this client returns it rather than throwing).
 *
 * @param details the other fields the server sent (backend, version, ...)
 */
public record Health(String status, Map<String, Object> details) {
    public Health {
        status = Objects.requireNonNullElse(status, "unknown");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }

    public boolean isOk() {
        return "ok".equals(status);
    }
}
