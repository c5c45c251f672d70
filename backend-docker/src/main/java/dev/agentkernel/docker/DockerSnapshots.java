package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Image;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.SnapshotInfo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Snapshots as local images: {@code docker commit} of a sandbox's container to {@code agentkernel-snap:<name>},
 * described by image labels (the metadata survives any restart, since it lives in the engine). The repository has
 * no registry part and the image is never pushed, so nothing pulls it; a restore uses the local image only.
 * What lives in volumes and in-memory mounts (the restrictive profile's {@code /tmp} and workdir, secret files) is
 * not committed by the engine, so a snapshot never holds a secret file.
 */
final class DockerSnapshots {
    static final String REPOSITORY = "agentkernel-snap";
    static final String SNAPSHOT = Labels.PREFIX + "snapshot";
    static final String SANDBOX = Labels.PREFIX + "snapshot-sandbox";
    static final String BASE_IMAGE = Labels.PREFIX + "snapshot-base-image";

    private final DockerClient client;
    private final String instanceId;

    DockerSnapshots(DockerClient client, String instanceId) {
        this.client = client;
        this.instanceId = instanceId;
    }

    static String tag(String name) {
        return REPOSITORY + ":" + name;
    }

    /**
     * Commits the container (paused meanwhile, so the copy is consistent). Serialised here because the engine
     * re-tags silently: the check for a taken name and the commit must not interleave within this process.
     */
    synchronized SnapshotInfo take(SandboxInfo sandbox, String containerId, String name) {
        if (find(name).isPresent()) {
            throw new AgentKernelException.ConflictException("Snapshot '" + name + "' already exists");
        }
        Instant now = Instant.now();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(SNAPSHOT, name);
        labels.put(SANDBOX, sandbox.name());
        if (sandbox.image() != null) {
            labels.put(BASE_IMAGE, sandbox.image());
        }
        labels.put(Labels.VCPUS, String.valueOf(sandbox.vcpus()));
        labels.put(Labels.MEMORY_MB, String.valueOf(sandbox.memoryMb()));
        labels.put(Labels.PROFILE, sandbox.profile() == null ? SecurityProfile.DEFAULT.wireName()
                : sandbox.profile().wireName());
        labels.put(Labels.CREATED_AT, now.toString());
        labels.put(Labels.OWNER, instanceId);
        try {
            client.commitCmd(containerId).withRepository(REPOSITORY).withTag(name).withPause(true)
                    .withLabels(labels).exec();
        } catch (NotFoundException e) {
            throw AgentKernelException.sandboxNotFound(sandbox.name());
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        return find(name).orElseThrow(() -> new AgentKernelException.BackendUnavailableException(
                "Snapshot '" + name + "' vanished right after it was taken", null));
    }

    List<SnapshotInfo> list() {
        List<Image> images;
        try {
            images = client.listImagesCmd().withLabelFilter(SNAPSHOT).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        List<SnapshotInfo> out = new ArrayList<>();
        for (Image i : images) {
            String name = i.getLabels() == null ? null : i.getLabels().get(SNAPSHOT);
            if (name != null && i.getRepoTags() != null && List.of(i.getRepoTags()).contains(tag(name))) {
                toInfo(name, i.getLabels()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** The image {@code agentkernel-snap:<name>}, if its labels say it is that snapshot. */
    Optional<SnapshotInfo> find(String name) {
        InspectImageResponse i;
        try {
            i = client.inspectImageCmd(tag(name)).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        Map<String, String> labels = i.getConfig() == null ? null : i.getConfig().getLabels();
        if (labels == null || !name.equals(labels.get(SNAPSHOT))) {
            return Optional.empty();
        }
        return toInfo(name, labels);
    }

    /** Removes the image; one that sandboxes were made from is {@code CONFLICT} (removing it would strand them). */
    void delete(String name) {
        if (find(name).isEmpty()) {
            throw notFound(name);
        }
        try {
            client.removeImageCmd(tag(name)).withForce(false).exec();
        } catch (NotFoundException e) {
            throw notFound(name);
        } catch (ConflictException e) {
            throw new AgentKernelException.ConflictException("Snapshot '" + name
                    + "' is in use by sandboxes restored from it; remove them first");
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    private static AgentKernelException notFound(String name) {
        return new AgentKernelException.NotFoundException("Snapshot '" + name + "' not found");
    }

    private Optional<SnapshotInfo> toInfo(String name, Map<String, String> labels) {
        String sandbox = labels.get(SANDBOX);
        Instant created = Labels.instantOrNull(labels.get(Labels.CREATED_AT));
        if (sandbox == null || created == null) {
            return Optional.empty();
        }
        return Optional.of(new SnapshotInfo(name, sandbox, tag(name), DockerBackend.ID,
                labels.get(BASE_IMAGE), Labels.intOrNull(labels.get(Labels.VCPUS)),
                Labels.intOrNull(labels.get(Labels.MEMORY_MB)), Labels.profileOrNull(labels.get(Labels.PROFILE)), created));
    }
}
