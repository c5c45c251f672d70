package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.docker.agent.AgentVolume;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Named volumes as engine volumes {@code agentkernel-vol-<name>}, labelled with their name and owner. The engine
 * makes a missing volume silently when a container names it, so only volumes found here are ever mounted (the
 * kernel checks the list first, and {@link #mount} checks again).
 */
final class DockerVolumes {
    static final String PREFIX = "agentkernel-vol-";
    static final String VOLUME = Labels.PREFIX + "volume";

    private final DockerClient client;
    private final String instanceId;

    DockerVolumes(DockerClient client, String instanceId) {
        this.client = client;
        this.instanceId = instanceId;
    }

    static String engineName(String name) {
        return PREFIX + name;
    }

    /** Serialised because the engine's create returns an existing volume instead of refusing the name. */
    synchronized VolumeInfo create(String name) {
        if (find(name).isPresent()) {
            throw new AgentKernelException.ConflictException("Volume '" + name + "' already exists");
        }
        Instant now = Instant.now();
        try {
            client.createVolumeCmd().withName(engineName(name)).withLabels(Map.of(VOLUME, name, Labels.MANAGED, "true",
                    Labels.OWNER, instanceId, Labels.CREATED_AT, now.toString())).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        return new VolumeInfo(name, DockerBackend.ID, now);
    }

    List<VolumeInfo> list() {
        List<InspectVolumeResponse> volumes;
        try {
            volumes = client.listVolumesCmd().withFilter("label", List.of(VOLUME)).exec().getVolumes();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        List<VolumeInfo> out = new ArrayList<>();
        for (InspectVolumeResponse v : volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
            toInfo(v).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(VolumeInfo::name));
        return out;
    }

    Optional<VolumeInfo> find(String name) {
        try {
            return toInfo(client.inspectVolumeCmd(engineName(name)).exec()).filter(v -> v.name().equals(name));
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    /** Removes it with its data; attached to a sandbox (running or stopped) is {@code CONFLICT}. */
    void remove(String name) {
        if (find(name).isEmpty()) {
            throw notFound(name);
        }
        try {
            client.removeVolumeCmd(engineName(name)).exec();
        } catch (NotFoundException e) {
            throw notFound(name);
        } catch (ConflictException e) {
            throw new AgentKernelException.ConflictException("Volume '" + name
                    + "' is attached to a sandbox; remove the sandbox first");
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    /**
     * The engine mount of a volume that exists (else {@code INVALID_REQUEST} naming the entry). The agent's own
     * mount point is refused too: the engine calls a volume there a duplicate, and one below it cannot be made in
     * the read-only agent volume, so the sandbox would not start with its agent and quietly fall back to docker exec.
     */
    Mount mount(VolumeMount v) {
        if (v.path().equals(AgentVolume.MOUNT_POINT) || v.path().startsWith(AgentVolume.MOUNT_POINT + "/")) {
            throw new AgentKernelException.InvalidRequestException("Invalid volumes entry '" + v + "': "
                    + AgentVolume.MOUNT_POINT + " is reserved");
        }
        if (find(v.volume()).isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("Invalid volumes entry '" + v + "': no volume '"
                    + v.volume() + "'");
        }
        return new Mount().withType(MountType.VOLUME).withSource(engineName(v.volume())).withTarget(v.path())
                .withReadOnly(v.readOnly());
    }

    private static AgentKernelException notFound(String name) {
        return new AgentKernelException.NotFoundException("Volume '" + name + "' not found");
    }

    private static Optional<VolumeInfo> toInfo(InspectVolumeResponse v) {
        Map<String, String> labels = v.getLabels();
        String name = labels == null ? null : labels.get(VOLUME);
        if (name == null || !v.getName().equals(engineName(name))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new VolumeInfo(name, DockerBackend.ID, Labels.instantOrNull(labels.get(Labels.CREATED_AT))));
        } catch (AgentKernelException e) {
            return Optional.empty(); // a label that is not a valid name: not one of ours
        }
    }
}
