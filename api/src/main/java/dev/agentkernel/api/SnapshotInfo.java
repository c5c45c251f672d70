package dev.agentkernel.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A saved filesystem of a sandbox, from which new sandboxes can be made ({@link Sandboxes#restoreSnapshot}).
 * The wire form is upstream's {@code SnapshotMeta}; {@code profile} is ours, so that a restore keeps the
 * sandbox's profile rather than falling back to the (perhaps looser) default.
 *
 * @param imageTag the backend's reference to the saved filesystem (Docker: a local image, never pulled)
 * @param baseImage the image the sandbox was made from, or null
 */
public record SnapshotInfo(String name, String sandbox, String imageTag, String backend, String baseImage,
                           Integer vcpus, Integer memoryMb, SecurityProfile profile, Instant createdAt) {
    public SnapshotInfo {
        Validation.snapshotName(name);
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(imageTag, "imageTag");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(createdAt, "createdAt");
        createdAt = createdAt.truncatedTo(ChronoUnit.SECONDS);
    }
}
