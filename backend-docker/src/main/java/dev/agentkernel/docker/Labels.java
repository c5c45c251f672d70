package dev.agentkernel.docker;

import dev.agentkernel.core.SandboxUuids;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The container labels that are the source of truth for what agentkernel manages. Nothing about a sandbox is
 * kept only in memory: a new process reads everything back from these labels.
 */
final class Labels {
    static final String PREFIX = SandboxSpec.RESERVED_LABEL_PREFIX;
    static final String MANAGED = PREFIX + "managed";
    static final String NAME = PREFIX + "name";
    static final String KIND = PREFIX + "kind";
    static final String PROFILE = PREFIX + "profile";
    static final String VCPUS = PREFIX + "vcpus";
    static final String MEMORY_MB = PREFIX + "memory-mb";
    static final String CREATED_AT = PREFIX + "created-at";
    static final String OWNER = PREFIX + "owner";
    static final String IMAGE = PREFIX + "image";
    /** The sandbox's identity for its whole life (labels are fixed at creation, so stop/start keeps it). */
    static final String UUID = PREFIX + "uuid";

    /** The detail saying how commands reach the sandbox: {@code agent} or {@code docker-exec}. */
    static final String EXEC_VIA = "exec_via";

    /** Container names are {@code agentkernel-<sandbox name>}: Docker's name uniqueness makes create atomic. */
    static final String CONTAINER_PREFIX = "agentkernel-";

    private Labels() {
    }

    static String containerName(String sandboxName) {
        return CONTAINER_PREFIX + sandboxName;
    }

    static Map<String, String> of(SandboxSpec spec, String owner, Instant createdAt) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(MANAGED, "true");
        labels.put(NAME, spec.name());
        labels.put(KIND, spec.kind().wireName());
        labels.put(PROFILE, spec.profile().wireName());
        labels.put(VCPUS, Integer.toString(spec.vcpus()));
        labels.put(MEMORY_MB, Integer.toString(spec.memoryMb()));
        labels.put(CREATED_AT, createdAt.toString());
        labels.put(OWNER, owner);
        labels.put(IMAGE, spec.image());
        labels.put(UUID, SandboxUuids.newUuid());
        return labels;
    }

    /**
     * Whether a container is one of ours: the managed label, a name label, and a Docker name that is exactly
     * {@code agentkernel-<name>}. A container merely named like ours, or carrying a copied label with another
     * name, is never ours.
     *
     * @param dockerName the container name as Docker reports it (with or without the leading '/')
     */
    static boolean isManaged(Map<String, String> labels, String dockerName) {
        if (labels == null || !"true".equals(labels.get(MANAGED))) {
            return false;
        }
        String name = labels.get(NAME);
        if (name == null || dockerName == null) {
            return false;
        }
        String bare = dockerName.startsWith("/") ? dockerName.substring(1) : dockerName;
        return bare.equals(containerName(name));
    }

    /** Reads a sandbox back from its labels and Docker's state string. */
    static SandboxInfo toInfo(Map<String, String> labels, String dockerState, String containerId, String backendId) {
        return new SandboxInfo(labels.get(NAME), status(dockerState), backendId, labels.get(IMAGE),
                intOrNull(labels.get(VCPUS)), intOrNull(labels.get(MEMORY_MB)), instantOrNull(labels.get(CREATED_AT)),
                profileOrNull(labels.get(PROFILE)), kindOrNull(labels.get(KIND)), containerId, labels.get(OWNER),
                Map.of(EXEC_VIA, dev.agentkernel.docker.agent.AgentSupport.execVia(labels)))
                .withUuid(uuid(labels.get(UUID), containerId));
    }

    /** The stored identity; a container made before identities existed gets one derived from its id. */
    private static String uuid(String stored, String containerId) {
        if (stored != null && stored.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")) {
            return stored;
        }
        return containerId == null ? null : SandboxUuids.derived(containerId);
    }

    /** Docker state → ours: created and exited containers are stopped (they start with their files). */
    static SandboxStatus status(String dockerState) {
        if (dockerState == null) {
            return SandboxStatus.UNKNOWN;
        }
        switch (dockerState) {
            case "running":
                return SandboxStatus.RUNNING;
            case "created":
            case "exited":
                return SandboxStatus.STOPPED;
            default:
                return SandboxStatus.UNKNOWN;
        }
    }

    static Integer intOrNull(String s) {
        try {
            return s == null ? null : Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Instant instantOrNull(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static SecurityProfile profileOrNull(String s) {
        for (SecurityProfile p : SecurityProfile.values()) {
            if (p.wireName().equals(s)) {
                return p;
            }
        }
        return null;
    }

    private static SandboxKind kindOrNull(String s) {
        for (SandboxKind k : SandboxKind.values()) {
            if (k.wireName().equals(s)) {
                return k;
            }
        }
        return null;
    }
}
