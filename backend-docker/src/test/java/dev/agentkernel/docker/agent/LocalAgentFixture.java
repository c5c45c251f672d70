package dev.agentkernel.docker.agent;

import dev.agentkernel.api.ExecRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Base of the tests that run the real agent binary as a local process (no Docker): one agent per test. */
abstract class LocalAgentFixture {
    @TempDir
    Path dir;
    LocalAgent agent;
    AgentClient client;

    @BeforeEach
    void startAgent() {
        agent = new LocalAgent(dir);
        client = agent.client;
    }

    @AfterEach
    void stopAgent() throws InterruptedException {
        agent.close();
    }

    static ExecRequest sh(String script) {
        return ExecRequest.of("sh", "-c", script);
    }
}
