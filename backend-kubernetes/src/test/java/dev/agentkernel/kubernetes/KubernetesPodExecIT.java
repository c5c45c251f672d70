package dev.agentkernel.kubernetes;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.testing.BackendContractTest;

import java.util.Map;

/**
 * The semantic part of the backend contract on the Kubernetes backend's fallback transport (pod exec, no agent):
 * its commands, and its files through the same shell helpers as Docker's exec path, must behave as the agent's.
 */
class KubernetesPodExecIT extends BackendContractTest {
    @Override
    protected Backend openBackend(String instanceId) {
        return SimCluster.open(instanceId, Map.of("kubernetes.exec", "pod-exec"));
    }

    @Override
    protected String image() {
        return SimCluster.IMAGE;
    }
}
