package dev.agentkernel.docker.agent;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

import dev.agentkernel.docker.engine.EngineEndpoint;

import java.time.Duration;

/** A docker-java client and the endpoint of the local engine, for the agent's Docker tests. */
final class TestEngine {
    static final DockerClientConfig CONFIG = DefaultDockerClientConfig.createDefaultConfigBuilder().build();

    private TestEngine() {
    }

    static DockerClient client() {
        return DockerClientImpl.getInstance(CONFIG, new ZerodepDockerHttpClient.Builder()
                .dockerHost(CONFIG.getDockerHost()).maxConnections(64).connectionTimeout(Duration.ofSeconds(5)).build());
    }

    static EngineEndpoint endpoint() {
        return EngineEndpoint.of(CONFIG);
    }
}
