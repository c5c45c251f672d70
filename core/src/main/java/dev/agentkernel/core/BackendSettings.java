package dev.agentkernel.core;

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

    public static BackendSettings of(String backendId) {
        return new BackendSettings(backendId, InstanceId.current(), Map.of());
    }

    /** The backend chosen by {@code config} and its backend sections, for this process's instance. */
    public static BackendSettings from(dev.agentkernel.core.config.AgentKernelConfig config) {
        return new BackendSettings(config.sandbox().backend(), InstanceId.current(), config.backendProperties());
    }

    public String property(String key, String fallback) {
        return properties.getOrDefault(key, fallback);
    }
}
