package dev.agentkernel.kubernetes;

import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.kubesim.KubeSim;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One simulated cluster per test JVM (started on first use, closed at exit), and backends opened against it the way
 * a user would: through a kubeconfig file and the backend's settings.
 */
final class SimCluster {
    static final String IMAGE = "agentkernel/busybox:local";
    private static KubeSim sim;
    private static Path kubeconfig;

    private SimCluster() {
    }

    static synchronized KubeSim sim() {
        if (sim == null) {
            sim = KubeSim.start();
            try {
                kubeconfig = sim.writeKubeconfig(Files.createTempDirectory("kubesim").resolve("kubeconfig"),
                        KubeSim.DEFAULT_NAMESPACE);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
            KubeSim s = sim;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "kubesim-close"));
        }
        return sim;
    }

    static synchronized Path kubeconfig() {
        sim();
        return kubeconfig;
    }

    /** The backend properties of a user who points agentkernel at the simulator. */
    static Map<String, String> properties(Map<String, String> extra) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("kubernetes.kubeconfig", kubeconfig().toString());
        p.put("kubernetes.ready_timeout_ms", "60000");
        p.putAll(extra);
        return p;
    }

    static KubernetesBackend open(String instanceId, Map<String, String> extra) {
        return (KubernetesBackend) new KubernetesBackendProvider().open(new BackendSettings(KubernetesBackend.ID,
                instanceId, properties(extra)));
    }
}
