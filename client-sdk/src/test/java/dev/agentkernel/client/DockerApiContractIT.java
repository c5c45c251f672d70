package dev.agentkernel.client;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.ApiContractTest;
import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.TestOwners;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of {@code Sandboxes} on the real Docker engine, in process; {@link RemoteDockerApiContractIT} runs the
 * same through a server. Only the fault of the fake cannot be made here. Every container carries this test's own
 * owner, which is counted (nothing left) and cleaned up after each test.
 */
class DockerApiContractIT extends ApiContractTest {
    protected final String owner = TestOwners.ofThisJvm();

    @Override
    protected Backend backend() {
        // Never pull: tests reach nothing beyond loopback and their own containers.
        return Backends.open(new BackendSettings("docker", owner, Map.of("docker.pull", "false")));
    }

    @Override
    protected boolean injectsFaults() {
        return false;
    }

    @Override
    protected List<String> flood() {
        return List.of("sh", "-c", "yes | head -c 65536");
    }

    @Override
    protected List<String> printEnv(String variable) {
        return List.of("sh", "-c", "echo \"$" + variable + "\"");
    }

    /** The kernel under test: it reaps nothing but its own (the engine is shared with other test runs). */
    protected AgentKernel kernel(AgentKernelConfig config, Backend backend) {
        return AgentKernel.builder().backend(backend).config(config).reconcileFilter(s -> owner.equals(s.owner()))
                .build();
    }

    @Override
    protected Sandboxes open(AgentKernelConfig config, Backend backend) {
        return kernel(config, backend);
    }

    /** After the contract's own cleanup (a subclass's {@code @AfterEach} would run before it). */
    @Override
    protected void closeFixture() {
        try {
            awaitTrue("no container of " + owner + " left", () -> EngineView.containersOf(owner).isEmpty());
        } finally {
            assertThat(EngineView.removeAllOf(owner)).isZero();
        }
    }
}
