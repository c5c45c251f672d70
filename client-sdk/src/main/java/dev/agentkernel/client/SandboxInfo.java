package dev.agentkernel.client;

import java.time.Instant;
import java.util.Objects;

/**
 * A sandbox as the server reports it. Fields the server did not send are null.
 *
 * @param status {@code running}, {@code stopped}, ... as sent by the server
 */
public record SandboxInfo(String name, String status, String backend, String image, Integer vcpus,
                          Integer memoryMb, Instant createdAt, String profile) {
    public SandboxInfo {
        Objects.requireNonNull(name, "name");
        status = Objects.requireNonNullElse(status, "unknown");
    }

    public boolean isRunning() {
        return "running".equals(status);
    }
}
