package dev.agentkernel.docker;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.docker.agent.AgentSupport;
import dev.agentkernel.docker.engine.TestCertificates;
import dev.agentkernel.docker.engine.TlsEngineProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backend against a TLS engine (a TLS-terminating loopback proxy with a throw-away CA in front of the local
 * engine's socket, {@link TlsEngineProxy}), configured as docker-java reads {@code DOCKER_HOST},
 * {@code DOCKER_TLS_VERIFY} and {@code DOCKER_CERT_PATH}: both transports carry commands with stdin to EOF and
 * files, and their hijacked streams are seen going through TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerBackendTlsIT {
    private final String owner = "tls-it/" + UUID.randomUUID();
    private TlsEngineProxy proxy;
    private Path certPath;

    @BeforeAll
    void startProxy(@TempDir Path dir) throws Exception {
        URI local = DockerBackend.config(BackendSettings.of(DockerBackend.ID)).getDockerHost();
        assertThat(local.getScheme()).as("the test engine listens on a unix socket").isEqualTo("unix");
        TestCertificates ca = new TestCertificates("agentkernel test CA");
        proxy = new TlsEngineProxy(ca.serverContext(ca.server("127.0.0.1")), Path.of(local.getPath()));
        certPath = ca.writeCertPath(dir.resolve("client"), ca.client());
    }

    @AfterAll
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "docker-exec"})
    void commandsAndFilesGoThroughTls(String mode) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(proxy.dockerHost()).withDockerTlsVerify(true).withDockerCertPath(certPath.toString())
                .build();
        String name = "it-tls-" + mode + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (DockerBackend backend = DockerBackend.open(new BackendSettings(DockerBackend.ID, owner,
                Map.of(AgentSupport.MODE_PROPERTY, mode)), config)) {
            try {
                assertThat(backend.create(new SandboxSpec(name, DockerBackendIT.BUSYBOX, 1, 128,
                        SecurityProfile.RESTRICTIVE, Map.of(), Map.of(), SandboxKind.NAMED)).details())
                        .containsEntry("exec_via", mode);
                byte[] input = new byte[300 * 1024];
                Arrays.fill(input, (byte) 'x');
                ExecResult wc = backend.exec(name, ExecRequest.of("wc", "-c").withStdin(input)
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(wc.timedOut()).as("stdin reached EOF over TLS").isFalse();
                assertThat(wc.stdout().trim()).isEqualTo(Integer.toString(input.length));
                ExecResult streams = backend.exec(name, ExecRequest.of("sh", "-c", "echo out; echo err >&2; exit 3"));
                assertThat(streams.stdout()).isEqualTo("out\n");
                assertThat(streams.stderr()).isEqualTo("err\n");
                assertThat(streams.exitCode()).isEqualTo(3);
                ExecResult slept = backend.exec(name, ExecRequest.of("sleep", "60").withTimeout(Duration.ofSeconds(1)));
                assertThat(slept.timedOut()).as("a timeout kills over TLS too").isTrue();

                backend.writeFile(name, new FileContent("/workspace/a/b.txt", "over tls".getBytes(StandardCharsets.UTF_8)));
                assertThat(backend.readFile(name, "/workspace/a/b.txt", 100).utf8()).contains("over tls");
            } finally {
                try {
                    backend.remove(name);
                } catch (AgentKernelException e) {
                    assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
                }
            }
            assertThat(backend.list().stream().filter(i -> owner.equals(i.owner()))).isEmpty();
        }
        assertThat(proxy.upgrades()).as("the hijacked streams went through TLS")
                .anyMatch(line -> line.contains(mode.equals("agent") ? "/attach?" : "/start "));
        assertThat(proxy.upgradeProtocols()).containsOnly("TLSv1.3");
    }
}
