package dev.agentkernel.client;

/**
 * How to create a named sandbox ({@code POST /sandboxes}); null fields take the server's defaults
 * (image from its configuration, 1 vCPU, 512 MB, profile {@code moderate}).
 *
 * @param profile {@code permissive}, {@code moderate} or {@code restrictive}, or null
 */
public record SandboxSpec(String image, Integer vcpus, Integer memoryMb, String profile) {
    public SandboxSpec {
        if (vcpus != null && vcpus <= 0) {
            throw new IllegalArgumentException("vcpus must be positive");
        }
        if (memoryMb != null && memoryMb <= 0) {
            throw new IllegalArgumentException("memoryMb must be positive");
        }
    }

    /** Everything from the server's defaults. */
    public static SandboxSpec defaults() {
        return new SandboxSpec(null, null, null, null);
    }

    public static SandboxSpec image(String image) {
        return new SandboxSpec(image, null, null, null);
    }

    public SandboxSpec withImage(String newImage) {
        return new SandboxSpec(newImage, vcpus, memoryMb, profile);
    }

    public SandboxSpec withLimits(int newVcpus, int newMemoryMb) {
        return new SandboxSpec(image, newVcpus, newMemoryMb, profile);
    }

    public SandboxSpec withProfile(String newProfile) {
        return new SandboxSpec(image, vcpus, memoryMb, newProfile);
    }
}
