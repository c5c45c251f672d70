package dev.agentkernel.core.testing;

import dev.agentkernel.core.Backend;

/** The in-memory backend keeps the semantic part of the contract, so tests that rely on it rely on real behaviour. */
class FakeBackendContractTest extends BackendContractTest {
    @Override
    protected Backend openBackend(String instanceId) {
        return new FakeBackend(instanceId);
    }

    @Override
    protected String image() {
        return "agentkernel/busybox:local";
    }
}
