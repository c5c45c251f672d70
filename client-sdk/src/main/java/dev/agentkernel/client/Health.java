package dev.agentkernel.client;

import java.util.Objects;

/**
 * The server's {@code /health}: {@code status} is {@code ok}, or {@code unavailable} when its container engine is
 * down (the server answers 503 then; this client returns it rather than throwing).
 *
 * @param backend the backend's id (e.g. {@code docker}), or null
 * @param version the server's version, or null
 * @param message why the backend is unavailable, or null
 */
public record Health(String status, String backend, String version, String message) {
    public Health {
        status = Objects.requireNonNullElse(status, "unknown");
    }

    public boolean isOk() {
        return "ok".equals(status);
    }
}
