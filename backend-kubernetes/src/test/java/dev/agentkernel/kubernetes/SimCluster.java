package dev.agentkernel.kubernetes;

import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.kubesim.SharedSim;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JVM's simulated cluster ({@link SharedSim}), and backends opened against it the way a user would: through a
 * kubeconfig file and the backend's settings.
 */
final class SimCluster {
    static final String IMAGE = "agentkernel/busybox:local";

    private SimCluster() {
    }

    static Path kubeconfig() {
        return SharedSim.kubeconfig();
    }

    /** The backend properties of a user who points agentkernel at the simulator. */
    static Map<String, String> properties(Map<String, String> extra) {
        Map<String, String> p = new LinkedHashMap<>(SharedSim.backendProperties());
        p.putAll(extra);
        return p;
    }

    static KubernetesBackend open(String instanceId, Map<String, String> extra) {
        return (KubernetesBackend) new KubernetesBackendProvider().open(new BackendSettings(KubernetesBackend.ID,
                instanceId, properties(extra)));
    }
}
