package dev.agentkernel.api;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What to create. {@code image}, {@code vcpus}, {@code memoryMb} and {@code profile} may be null: the kernel
 * then applies the configured defaults ({@code [sandbox] image} and {@code profile}, {@code [resources]}), once,
 * for every front end alike. Backends receive a resolved spec (nothing null).
 *
 * @param labels user labels; keys starting with {@value #RESERVED_LABEL_PREFIX} are reserved for agentkernel
 * @param ttl    how long the sandbox lives before the kernel removes it (extendable), or null for the configured
 *               default ({@code sandbox.ttl}, none unless set); at most {@link Validation#MAX_TTL}
 */
public record SandboxSpec(String name, String image, Integer vcpus, Integer memoryMb, SecurityProfile profile,
                          Map<String, String> env, Map<String, String> labels, SandboxKind kind, Duration ttl) {
    public static final String RESERVED_LABEL_PREFIX = "dev.agentkernel.";

    public SandboxSpec {
        Validation.sandboxName(name);
        Validation.image(image);
        if (vcpus != null) {
            Validation.vcpus(vcpus);
        }
        if (memoryMb != null) {
            Validation.memoryMb(memoryMb);
        }
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
        if (ttl != null) {
            Validation.ttl("ttl", ttl);
        }
    }

    /** Without a TTL of its own (the configured default applies). */
    public SandboxSpec(String name, String image, Integer vcpus, Integer memoryMb, SecurityProfile profile,
                       Map<String, String> env, Map<String, String> labels, SandboxKind kind) {
        this(name, image, vcpus, memoryMb, profile, env, labels, kind, null);
    }

    /** A named sandbox with the configured limits and profile ({@code image} null: the configured image). */
    public static SandboxSpec named(String name, String image) {
        return new SandboxSpec(name, image, null, null, null, Map.of(), Map.of(), SandboxKind.NAMED);
    }

    /** A named sandbox with every default. */
    public static SandboxSpec named(String name) {
        return named(name, null);
    }

    public SandboxSpec withImage(String newImage) {
        return new SandboxSpec(name, newImage, vcpus, memoryMb, profile, env, labels, kind, ttl);
    }

    public SandboxSpec withName(String newName) {
        return new SandboxSpec(newName, image, vcpus, memoryMb, profile, env, labels, kind, ttl);
    }

    public SandboxSpec withProfile(SecurityProfile newProfile) {
        return new SandboxSpec(name, image, vcpus, memoryMb, newProfile, env, labels, kind, ttl);
    }

    public SandboxSpec withLimits(Integer newVcpus, Integer newMemoryMb) {
        return new SandboxSpec(name, image, newVcpus, newMemoryMb, profile, env, labels, kind, ttl);
    }

    public SandboxSpec withEnv(Map<String, String> newEnv) {
        return new SandboxSpec(name, image, vcpus, memoryMb, profile, newEnv, labels, kind, ttl);
    }

    public SandboxSpec withKind(SandboxKind newKind) {
        return new SandboxSpec(name, image, vcpus, memoryMb, profile, env, labels, newKind, ttl);
    }

    /** This spec with its null profile and limits replaced by the given defaults (the kernel's resolution). */
    public SandboxSpec withDefaults(SecurityProfile defaultProfile, int defaultVcpus, int defaultMemoryMb) {
        return new SandboxSpec(name, image, vcpus != null ? vcpus : defaultVcpus,
                memoryMb != null ? memoryMb : defaultMemoryMb, profile != null ? profile : defaultProfile, env, labels,
                kind, ttl);
    }

    public SandboxSpec withTtl(Duration newTtl) {
        return new SandboxSpec(name, image, vcpus, memoryMb, profile, env, labels, kind, newTtl);
    }
}
