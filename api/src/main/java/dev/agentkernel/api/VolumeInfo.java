package dev.agentkernel.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A named volume: storage that outlives the sandboxes it is attached to ({@link CreateOptions#volumes()}).
 *
 * @param createdAt when it was made, or null when the backend does not know
 */
public record VolumeInfo(String name, String backend, Instant createdAt) {
    public VolumeInfo {
        Validation.volumeName(name);
        Objects.requireNonNull(backend, "backend");
        createdAt = createdAt == null ? null : createdAt.truncatedTo(ChronoUnit.SECONDS);
    }
}
