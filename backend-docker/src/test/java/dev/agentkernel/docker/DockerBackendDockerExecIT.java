package dev.agentkernel.docker;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.testing.EngineContractTest;
import dev.agentkernel.docker.agent.AgentSupport;

import java.util.Map;

/** The backend contract on the fallback path: every command and file operation through {@code docker exec}. */
class DockerBackendDockerExecIT extends EngineContractTest {
    @Override
    protected Backend openBackend(String instanceId) {
        return DockerBackend.open(new BackendSettings(DockerBackend.ID, instanceId,
                Map.of(AgentSupport.MODE_PROPERTY, "docker-exec")));
    }

    @Override
    protected String image() {
        return DockerBackendIT.BUSYBOX;
    }

    @Override
    protected boolean gvisor() {
        return DockerBackendIT.underGvisor();
    }
}
