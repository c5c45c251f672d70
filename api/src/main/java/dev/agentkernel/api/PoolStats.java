package dev.agentkernel.api;

import java.util.List;

/**
 * Warm pool figures, for {@code GET /pool} and {@code agentkernel pool}.
 *
 * @param targetPerKey warm sandboxes kept per key
 * @param max          overall cap of warm sandboxes
 * @param size         warm sandboxes now
 * @param claimLatencyP50Ms median time to hand out a warm sandbox
 */
public record PoolStats(boolean enabled, int targetPerKey, int max, int size, long hits, long misses, long creations,
                        long failures, double claimLatencyP50Ms, double claimLatencyP99Ms, List<KeyStats> keys) {
    public PoolStats {
        keys = keys == null ? List.of() : List.copyOf(keys);
    }

    /** Figures of one pool key (image, profile, limits). */
    public record KeyStats(String image, String profile, int vcpus, int memoryMb, int size, int target, long hits,
                           long misses) {
    }
}
