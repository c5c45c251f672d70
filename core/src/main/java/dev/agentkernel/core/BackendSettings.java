package dev.agentkernel.core;

import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a backend is opened with.
 *
 * @param backendId  the provider to use, or null to pick the only available one
 * @param instanceId the id of this agentkernel instance, written on every sandbox it creates
 * @param properties backend-specific settings (e.g. {@code docker.host}); never secrets in logs
 */
public record BackendSettings(String backendId, String instanceId, Map<String, String> properties) {
    /** Registries images may be pulled from: comma-separated host[:port], {@code *} for any, empty for none. */
    public static final String PULL_REGISTRIES = "pull.registries";
    /** Prefix of the per-profile container runtime, e.g. {@code runtime.moderate=runsc}. */
    public static final String RUNTIME_PREFIX = "runtime.";
    /** Pull from no registry: for callers the operator does not control (an HTTP API, an MCP client). */
    public static final List<String> PULL_NONE = List.of();
    /** Pull from any registry (addresses on loopback or private networks are still refused by the backend). */
    public static final List<String> PULL_ANY = List.of("*");

    public BackendSettings {
        Objects.requireNonNull(instanceId, "instanceId");
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    public static BackendSettings of(String backendId) {
        return new BackendSettings(backendId, InstanceId.current(), Map.of());
    }

    /**
     * The backend chosen by {@code config} with its backend sections and {@code [profiles.*]} runtimes, for this
     * process's instance, pulling from the configured registries or, when it names none, from any.
     */
    public static BackendSettings from(AgentKernelConfig config) {
        return from(config, InstanceId.current(), PULL_ANY);
    }

    /**
     * Like {@link #from(AgentKernelConfig)}, pulling from {@code pullWhenUnset} when the configuration names no
     * registries ({@link #PULL_NONE} for servers: their callers name the images).
     */
    public static BackendSettings from(AgentKernelConfig config, String instanceId, List<String> pullWhenUnset) {
        Map<String, String> props = new LinkedHashMap<>(config.backendProperties());
        List<String> pull = config.sandbox().pullRegistries() != null ? config.sandbox().pullRegistries() : pullWhenUnset;
        props.put(PULL_REGISTRIES, String.join(",", pull));
        return new BackendSettings(config.sandbox().backend(), instanceId, props);
    }

    /** The property of a profile's container runtime, set from {@code [profiles.NAME] runtime}. */
    public static String runtimeKey(SecurityProfile profile) {
        return RUNTIME_PREFIX + profile.wireName();
    }

    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }
}
