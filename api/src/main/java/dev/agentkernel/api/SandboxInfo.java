package dev.agentkernel.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What a backend knows about a sandbox. Nullable fields are unknown and are omitted on the wire.
 *
 * @param createdAt when it was made, to the second (the precision of the wire form {@code 2026-01-30T12:00:00Z},
 *                  which {@link Instant#toString()} then gives everywhere)
 * @param id      the backend's own id (e.g. a container id), or null
 * @param owner   the id of the agentkernel instance that made the sandbox, or null
 * @param execVia how commands reach the sandbox (e.g. {@code docker-exec} or {@code agent}), or null
 */
public record SandboxInfo(String name, SandboxStatus status, String backend, String image, Integer vcpus,
                          Integer memoryMb, Instant createdAt, SecurityProfile profile, SandboxKind kind,
                          String id, String owner, String execVia) {
    public SandboxInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(backend, "backend");
        kind = Objects.requireNonNullElse(kind, SandboxKind.NAMED);
        createdAt = createdAt == null ? null : createdAt.truncatedTo(ChronoUnit.SECONDS);
    }

    public boolean running() {
        return status == SandboxStatus.RUNNING;
    }
}
