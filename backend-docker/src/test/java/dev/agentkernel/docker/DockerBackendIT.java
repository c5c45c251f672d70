package dev.agentkernel.docker;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.testing.EngineContractTest;

import java.util.Map;

/** The backend contract against the real Docker engine, with the default settings (the in-sandbox agent path). */
class DockerBackendIT extends EngineContractTest {
    static final String BUSYBOX = System.getProperty("agentkernel.test.image", "agentkernel/busybox:local");

    @Override
    protected Backend openBackend(String instanceId) {
        return DockerBackend.open(new BackendSettings(DockerBackend.ID, instanceId, Map.of()));
    }

    @Override
    protected String image() {
        return BUSYBOX;
    }

    @Override
    protected boolean gvisor() {
        return underGvisor();
    }

    /** Whether this run puts every sandbox under gVisor ({@code mvn -Prunsc}, the failsafe execution runsc). */
    static boolean underGvisor() {
        return ProfileMapping.GVISOR.equals(System.getenv(DockerBackend.RUNTIME_ENV));
    }
}
