package dev.agentkernel.kubernetes;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.testing.EngineContractTest;

import java.util.Map;

/**
 * The whole backend contract, process-level cases included, on the Kubernetes backend: the real fabric8 client and
 * the real websocket protocol against the simulated cluster, whose pods are real containers on the local engine.
 * Commands and files go through the in-sandbox agent over the pods' attach websockets.
 */
class KubernetesBackendIT extends EngineContractTest {
    @Override
    protected Backend openBackend(String instanceId) {
        return SimCluster.open(instanceId, Map.of("kubernetes.exec", "agent"));
    }

    @Override
    protected String image() {
        return SimCluster.IMAGE;
    }
}
