package dev.agentkernel.core;

/**
 * Found with {@link java.util.ServiceLoader}; one per engine. See {@link Backends#open(BackendSettings)}.
 */
public interface BackendProvider {
    /** Stable id, e.g. {@code docker}. */
    String id();

    /** Whether this provider can work here, and if not, why (shown to the user in the selection error). */
    Availability availability(BackendSettings settings);

    Backend open(BackendSettings settings);

    /** The answer of {@link #availability}. */
    record Availability(boolean available, String reason) {
        public static Availability yes() {
            return new Availability(true, "available");
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }
}
