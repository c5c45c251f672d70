package dev.agentkernel.client;

import java.util.Map;

/**
 * How to create a named sandbox ({@code POST /sandboxes}); null fields take the server's defaults
 * (image from its configuration, 1 vCPU, 512 MB, profile {@code moderate}).
 *
 * @param profile {@code permissive}, {@code moderate} or {@code restrictive}, or null
 * @param env     environment variables of every command in the sandbox
 */
public record SandboxSpec(String image, Integer vcpus, Integer memoryMb, String profile, Map<String, String> env) {
    public SandboxSpec {
        if (vcpus != null && vcpus <= 0) {
            throw new IllegalArgumentException("vcpus must be positive");
        }
        if (memoryMb != null && memoryMb <= 0) {
            throw new IllegalArgumentException("memoryMb must be positive");
        }
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** Without sandbox-wide environment variables. */
    public SandboxSpec(String image, Integer vcpus, Integer memoryMb, String profile) {
        this(image, vcpus, memoryMb, profile, Map.of());
    }

    /** Everything from the server's defaults. */
    public static SandboxSpec defaults() {
        return new SandboxSpec(null, null, null, null, Map.of());
    }

    public static SandboxSpec image(String image) {
        return defaults().withImage(image);
    }

    public SandboxSpec withImage(String newImage) {
        return new SandboxSpec(newImage, vcpus, memoryMb, profile, env);
    }

    public SandboxSpec withLimits(int newVcpus, int newMemoryMb) {
        return new SandboxSpec(image, newVcpus, newMemoryMb, profile, env);
    }

    public SandboxSpec withProfile(String newProfile) {
        return new SandboxSpec(image, vcpus, memoryMb, newProfile, env);
    }

    public SandboxSpec withEnv(Map<String, String> newEnv) {
        return new SandboxSpec(image, vcpus, memoryMb, profile, newEnv);
    }
}
