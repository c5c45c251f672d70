package dev.agentkernel.api;

import java.util.Map;

/**
 * Whether a backend can work right now, and what it found.
 *
 * @param details e.g. engine version, runtime; never secrets
 */
public record BackendHealth(boolean available, String backend, String message, Map<String, String> details) {
    public BackendHealth {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    public static BackendHealth up(String backend, Map<String, String> details) {
        return new BackendHealth(true, backend, "ok", details);
    }

    public static BackendHealth down(String backend, String message) {
        return new BackendHealth(false, backend, message, Map.of());
    }
}
