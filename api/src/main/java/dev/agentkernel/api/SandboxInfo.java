package dev.agentkernel.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;

/**
 * What a backend knows about a sandbox. Nullable fields are unknown and are omitted on the wire.
 *
 * @param createdAt when it was made, to the second (the precision of the wire form {@code 2026-01-30T12:00:00Z},
 *                  which {@link Instant#toString()} then gives everywhere)
 * @param id      the backend's own id (e.g. a container id or a pod uid), or null
 * @param owner   the id of the agentkernel instance that made the sandbox, or null
 * @param details backend-specific facts for people and diagnostics (e.g. Docker's {@code exec_via}: how commands
 *                reach the sandbox); never relied on by the kernel; empty when there are none
 * @param uuid      the sandbox's identity for its whole life (kept across stop/start and restarts of agentkernel),
 *                  a UUID in its canonical lower-case form, or null when the backend knows none
 * @param expiresAt when the kernel removes the sandbox unless it is extended, or null (no TTL)
 */
public record SandboxInfo(String name, SandboxStatus status, String backend, String image, Integer vcpus,
                          Integer memoryMb, Instant createdAt, SecurityProfile profile, SandboxKind kind,
                          String id, String owner, Map<String, String> details, String uuid, Instant expiresAt) {
    public SandboxInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(backend, "backend");
        kind = Objects.requireNonNullElse(kind, SandboxKind.NAMED);
        createdAt = createdAt == null ? null : createdAt.truncatedTo(ChronoUnit.SECONDS);
        details = details == null ? Map.of() : Map.copyOf(details);
        if (uuid != null) {
            uuid = Validation.uuid(uuid);
        }
        expiresAt = expiresAt == null ? null : expiresAt.truncatedTo(ChronoUnit.SECONDS);
    }

    /** Without identity and expiry (backends add the uuid with {@link #withUuid}, the kernel the expiry). */
    public SandboxInfo(String name, SandboxStatus status, String backend, String image, Integer vcpus,
                       Integer memoryMb, Instant createdAt, SecurityProfile profile, SandboxKind kind,
                       String id, String owner, Map<String, String> details) {
        this(name, status, backend, image, vcpus, memoryMb, createdAt, profile, kind, id, owner, details, null, null);
    }

    public boolean running() {
        return status == SandboxStatus.RUNNING;
    }

    /** A backend-specific detail, or null. */
    public String detail(String key) {
        return details.get(key);
    }

    /** The same sandbox in another state (what stop and start answer). */
    public SandboxInfo withStatus(SandboxStatus newStatus) {
        return new SandboxInfo(name, newStatus, backend, image, vcpus, memoryMb, createdAt, profile, kind, id, owner,
                details, uuid, expiresAt);
    }

    public SandboxInfo withUuid(String newUuid) {
        return new SandboxInfo(name, status, backend, image, vcpus, memoryMb, createdAt, profile, kind, id, owner,
                details, newUuid, expiresAt);
    }

    public SandboxInfo withExpiresAt(Instant newExpiresAt) {
        return new SandboxInfo(name, status, backend, image, vcpus, memoryMb, createdAt, profile, kind, id, owner,
                details, uuid, newExpiresAt);
    }
}
