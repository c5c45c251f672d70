package dev.agentkernel.api;

import java.util.Map;
import java.util.Objects;

/**
 * What to create. {@code image} may be null only before image resolution; backends receive a resolved image.
 *
 * @param labels user labels; keys starting with {@value #RESERVED_LABEL_PREFIX} are reserved for agentkernel
 */
public record SandboxSpec(String name, String image, int vcpus, int memoryMb, SecurityProfile profile,
                          Map<String, String> env, Map<String, String> labels, SandboxKind kind) {
    public static final int DEFAULT_VCPUS = 1;
    public static final int DEFAULT_MEMORY_MB = 512;
    public static final String RESERVED_LABEL_PREFIX = "dev.agentkernel.";

    public SandboxSpec {
        Validation.sandboxName(name);
        Validation.image(image);
        Validation.vcpus(vcpus);
        Validation.memoryMb(memoryMb);
        profile = profile == null ? SecurityProfile.DEFAULT : profile;
        env = env == null ? Map.of() : Map.copyOf(env);
        env.forEach((k, v) -> {
            Validation.envKey(k);
            Validation.noNul("env value of " + k, v);
        });
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        labels.forEach((k, v) -> {
            if (k.startsWith(RESERVED_LABEL_PREFIX)) {
                throw Validation.invalid("Invalid label '" + Validation.printable(k) + "': the prefix "
                        + RESERVED_LABEL_PREFIX + " is reserved");
            }
            Validation.noNul("label " + k, k + v);
        });
        kind = Objects.requireNonNullElse(kind, SandboxKind.NAMED);
    }

    /** A named sandbox with default limits and profile. */
    public static SandboxSpec named(String name, String image) {
        return new SandboxSpec(name, image, DEFAULT_VCPUS, DEFAULT_MEMORY_MB, SecurityProfile.DEFAULT, Map.of(), Map.of(),
                SandboxKind.NAMED);
    }

    public SandboxSpec withImage(String newImage) {
        return new SandboxSpec(name, newImage, vcpus, memoryMb, profile, env, labels, kind);
    }

    public SandboxSpec withName(String newName) {
        return new SandboxSpec(newName, image, vcpus, memoryMb, profile, env, labels, kind);
    }

    public SandboxSpec withProfile(SecurityProfile newProfile) {
        return new SandboxSpec(name, image, vcpus, memoryMb, newProfile, env, labels, kind);
    }

    public SandboxSpec withLimits(int newVcpus, int newMemoryMb) {
        return new SandboxSpec(name, image, newVcpus, newMemoryMb, profile, env, labels, kind);
    }

    public SandboxSpec withKind(SandboxKind newKind) {
        return new SandboxSpec(name, image, vcpus, memoryMb, profile, env, labels, newKind);
    }
}
