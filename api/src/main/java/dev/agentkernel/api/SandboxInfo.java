package dev.agentkernel.api;

import java.time.Instant;
import java.util.Objects;

/**
 * What a backend knows about a sandbox. Nullable fields are unknown and are omitted on the wire.
 *
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
    }

    public boolean running() {
        return status == SandboxStatus.RUNNING;
    }
}
