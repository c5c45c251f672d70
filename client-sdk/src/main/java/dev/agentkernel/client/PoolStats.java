package dev.agentkernel.client;

/**
 * The server's warm pool figures ({@code GET /pool}).
 *
 * @param targetPerKey warm sandboxes kept per (image, profile, limits)
 * @param max          overall cap of warm sandboxes
 * @param size         warm sandboxes now
 * @param hits         runs served by a warm sandbox
 * @param misses       runs that had to create their sandbox
 */
public record PoolStats(boolean enabled, int targetPerKey, int max, int size, long hits, long misses, long creations,
                        long failures, double claimLatencyP50Ms, double claimLatencyP99Ms) {
}
