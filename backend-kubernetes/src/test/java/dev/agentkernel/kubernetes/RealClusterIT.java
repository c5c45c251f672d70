package dev.agentkernel.kubernetes;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.testing.EngineContractTest;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Map;

/**
 * The engine contract against a real cluster, opt-in: {@code -Dk8s.it=true} with {@code KUBECONFIG} (or
 * {@code ~/.kube/config}) pointing at it; {@code -Dk8s.namespace} (default {@code agentkernel-it}, which must exist)
 * and {@code -Dk8s.image} (default {@code busybox:1.36}). Skipped, not failed, otherwise. On a real cluster the
 * restrictive profile's pod keeps its interface (traffic is cut by NetworkPolicy instead), so the interface check
 * of the contract fails there by design unless a runtime class without network is configured.
 */
@EnabledIfSystemProperty(named = "k8s.it", matches = "true")
class RealClusterIT extends EngineContractTest {
    @Override
    protected Backend openBackend(String instanceId) {
        return new KubernetesBackendProvider().open(new BackendSettings(KubernetesBackend.ID, instanceId, Map.of(
                "kubernetes.namespace", System.getProperty("k8s.namespace", "agentkernel-it"))));
    }

    @Override
    protected String image() {
        return System.getProperty("k8s.image", "busybox:1.36");
    }
}
