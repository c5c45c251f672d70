package dev.agentkernel.kubesim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One simulated cluster per test JVM, started on first use and closed at exit, with the kubeconfig a user would
 * point agentkernel at: starting one costs seconds, and every test class of a JVM can share it (each counts only
 * its own owner's sandboxes).
 */
public final class SharedSim {
    private static KubeSim sim;
    private static Path kubeconfig;

    private SharedSim() {
    }

    public static synchronized KubeSim sim() {
        if (sim == null) {
            KubeSim s = KubeSim.start();
            try {
                kubeconfig = s.writeKubeconfig(Files.createTempDirectory("kubesim").resolve("kubeconfig"),
                        KubeSim.DEFAULT_NAMESPACE);
            } catch (IOException e) {
                s.close();
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(s::close, "kubesim-close"));
            sim = s;
        }
        return sim;
    }

    /** The kubeconfig of the shared cluster; its context's namespace is {@link KubeSim#DEFAULT_NAMESPACE}. */
    public static synchronized Path kubeconfig() {
        sim();
        return kubeconfig;
    }

    /**
     * The settings of a user who points the Kubernetes backend at the shared cluster: its kubeconfig, and a pod
     * start timeout long enough for a loaded 2-core machine.
     */
    public static Map<String, String> backendProperties() {
        return Map.of("kubernetes.kubeconfig", kubeconfig().toString(), "kubernetes.ready_timeout_ms", "60000");
    }

    /** The view of the Kubernetes backend's sandboxes on the shared cluster. */
    public static SimView view() {
        return new SimView(sim(), KubeSim.DEFAULT_NAMESPACE);
    }
}
