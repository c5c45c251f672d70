package dev.agentkernel.kubernetes;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.ResourceNames;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a sandbox is, written on its Kubernetes objects and read back from them: nothing about a sandbox lives
 * anywhere else. Labels (for selecting) carry mapped values ({@link ResourceNames}); annotations carry the
 * originals (the user's name, the owner, image, profile, limits, creation time, how commands reach it). A named
 * sandbox writes the same on its workspace claim, which outlives its pod while it is stopped.
 *
 * <p>Object names: {@code agentkernel-<name as a DNS label>} for the pod, {@code agentkernel-ws-<...>} for the claim.
 */
final class SandboxMeta {
    static final String DOMAIN = "agentkernel.dev/";
    static final String MANAGED = DOMAIN + "managed";
    static final String SANDBOX = DOMAIN + "sandbox";
    static final String KIND = DOMAIN + "kind";
    static final String OWNER_LABEL = DOMAIN + "owner";
    /** Selected by the sandbox NetworkPolicies: {@code none} or {@code egress}. */
    static final String NETWORK = DOMAIN + "network";

    static final String NAME = DOMAIN + "name";
    static final String OWNER = DOMAIN + "owner";
    static final String IMAGE = DOMAIN + "image";
    static final String PROFILE = DOMAIN + "profile";
    static final String VCPUS = DOMAIN + "vcpus";
    static final String MEMORY_MB = DOMAIN + "memory-mb";
    static final String CREATED_AT = DOMAIN + "created-at";
    static final String EXEC_VIA = DOMAIN + "exec-via";
    /** The spec's environment and user labels, as JSON, on a named sandbox's claim (start makes the pod again). */
    static final String ENV = DOMAIN + "env";
    static final String USER_LABELS = DOMAIN + "labels";

    static final String VIA_AGENT = "agent";
    static final String VIA_POD_EXEC = "pod-exec";
    private static final String POD_PREFIX = "agentkernel-";
    private static final String CLAIM_PREFIX = "agentkernel-ws-";

    private SandboxMeta() {
    }

    static String podName(String sandbox) {
        return POD_PREFIX + ResourceNames.dnsLabel(sandbox);
    }

    static String claimName(String sandbox) {
        return CLAIM_PREFIX + ResourceNames.dnsLabel(sandbox);
    }

    /** The label selector of one sandbox's objects (equality only: set-based selectors are not portable). */
    static Map<String, String> selector(String sandbox) {
        return Map.of(MANAGED, "true", SANDBOX, ResourceNames.labelValue(sandbox));
    }

    /** The metadata of a sandbox's pod or claim. */
    static ObjectMeta of(String objectName, SandboxSpec spec, String owner, Instant createdAt, String execVia,
                         Map<String, String> extraLabels, Map<String, String> extraAnnotations) {
        Map<String, String> labels = new LinkedHashMap<>(extraLabels);
        labels.put(MANAGED, "true");
        labels.put(SANDBOX, ResourceNames.labelValue(spec.name()));
        labels.put(KIND, spec.kind().wireName());
        labels.put(OWNER_LABEL, ResourceNames.labelValue(owner));
        labels.put(NETWORK, spec.profile().network() == SecurityProfile.Network.NONE ? "none" : "egress");
        Map<String, String> annotations = new LinkedHashMap<>(extraAnnotations);
        annotations.put(NAME, spec.name());
        annotations.put(OWNER, owner);
        annotations.put(IMAGE, spec.image());
        annotations.put(PROFILE, spec.profile().wireName());
        annotations.put(VCPUS, Integer.toString(spec.vcpus()));
        annotations.put(MEMORY_MB, Integer.toString(spec.memoryMb()));
        annotations.put(CREATED_AT, createdAt.toString());
        annotations.put(EXEC_VIA, execVia);
        return new ObjectMetaBuilder().withName(objectName).withLabels(labels).withAnnotations(annotations).build();
    }

    /**
     * Whether an object is one of ours and is {@code sandbox}: the managed label, and an annotated name that is
     * exactly it (an object that merely carries copied labels of another name is never taken for it).
     */
    static boolean isSandbox(ObjectMeta meta, String sandbox) {
        return isManaged(meta) && sandbox.equals(meta.getAnnotations().get(NAME));
    }

    static boolean isManaged(ObjectMeta meta) {
        return meta != null && meta.getLabels() != null && "true".equals(meta.getLabels().get(MANAGED))
                && meta.getAnnotations() != null && meta.getAnnotations().get(NAME) != null;
    }

    static SandboxInfo toInfo(ObjectMeta meta, SandboxStatus status, String id, Map<String, String> details) {
        Map<String, String> a = meta.getAnnotations();
        SandboxKind kind;
        try {
            kind = SandboxKind.fromWire(meta.getLabels().get(KIND));
        } catch (IllegalArgumentException e) {
            kind = SandboxKind.NAMED;
        }
        SecurityProfile profile;
        try {
            profile = SecurityProfile.fromWire(a.get(PROFILE));
        } catch (RuntimeException e) {
            profile = null;
        }
        // The identity: derived from the name and the creation time, which the claim keeps and every pod made again
        // from it carries, so it holds across stop/start and restarts, and a later sandbox of the same name differs.
        String uuid = a.get(CREATED_AT) == null ? null
                : dev.agentkernel.core.SandboxUuids.derived(a.get(NAME) + "@" + a.get(CREATED_AT));
        return new SandboxInfo(a.get(NAME), status, KubernetesBackend.ID, a.get(IMAGE), integer(a.get(VCPUS)),
                integer(a.get(MEMORY_MB)), instant(a.get(CREATED_AT)), profile, kind, id, a.get(OWNER), details)
                .withUuid(uuid);
    }

    /** The spec a named sandbox was made with, read back from its claim (start makes its pod again from it). */
    static SandboxSpec specOf(ObjectMeta meta) {
        Map<String, String> a = meta.getAnnotations();
        return new SandboxSpec(a.get(NAME), a.get(IMAGE), integer(a.get(VCPUS)), integer(a.get(MEMORY_MB)),
                SecurityProfile.fromWire(a.get(PROFILE)), Json.stringMap(a.get(ENV)), Json.stringMap(a.get(USER_LABELS)),
                SandboxKind.NAMED);
    }

    private static Integer integer(String s) {
        try {
            return s == null ? null : Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Instant instant(String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
