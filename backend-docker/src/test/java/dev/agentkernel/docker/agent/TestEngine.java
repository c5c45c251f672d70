package dev.agentkernel.docker.agent;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;

/** A docker-java client and raw socket access to the local engine, for the agent's Docker tests. */
final class TestEngine {
    static final DockerClientConfig CONFIG = DefaultDockerClientConfig.createDefaultConfigBuilder().build();

    private TestEngine() {
    }

    static DockerClient client() {
        return DockerClientImpl.getInstance(CONFIG, new ZerodepDockerHttpClient.Builder()
                .dockerHost(CONFIG.getDockerHost()).maxConnections(64).connectionTimeout(Duration.ofSeconds(5)).build());
    }

    static EngineSocket socket() {
        URI uri = CONFIG.getDockerHost();
        if (!"unix".equals(uri.getScheme())) {
            throw new IllegalStateException("these tests expect the engine on a unix socket, not " + uri);
        }
        return new EngineSocket() {
            @Override
            public SocketChannel connect() throws IOException {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(Path.of(uri.getPath())));
                return ch;
            }

            @Override
            public String hostHeader() {
                return "docker";
            }
        };
    }
}
