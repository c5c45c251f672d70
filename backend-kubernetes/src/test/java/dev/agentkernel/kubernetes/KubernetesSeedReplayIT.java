package dev.agentkernel.kubernetes;

import dev.agentkernel.core.Backend;
import dev.agentkernel.kubesim.SharedSim;
import dev.agentkernel.server.SeedReplay;
import dev.agentkernel.testkit.BackendView;

import java.util.Map;

/**
 * The seed replay of the server module, unchanged, against a server on the Kubernetes backend and the simulated
 * cluster: {@code agentkernel serve --backend kubernetes} answers the seed's requests exactly. Commands go through
 * the in-sandbox agent over pod exec websockets, as they do by default.
 */
class KubernetesSeedReplayIT extends SeedReplay {
    private final BackendView view = SharedSim.view();

    @Override
    protected String backendId() {
        return KubernetesBackend.ID;
    }

    @Override
    protected Backend openBackend(String owner) {
        return SimCluster.open(owner, Map.of());
    }

    @Override
    protected BackendView view() {
        return view;
    }
}
