package dev.agentkernel.core;

import dev.agentkernel.core.config.AgentKernelConfig;

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
    public BackendSettings {
        Objects.requireNonNull(instanceId, "instanceId");
        properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    /** What the configured backend is opened with: its id, the owner, and its {@code [backends.ID]} settings. */
    public static BackendSettings fromConfig(AgentKernelConfig config, String instanceId) {
        return new BackendSettings(config.sandbox().backend(), instanceId, config.backendProperties());
    }

    public static BackendSettings of(String backendId) {
        return new BackendSettings(backendId, InstanceId.current(), Map.of());
    }

    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }
}
