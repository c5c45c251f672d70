package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImagePolicyTest {
    private final ImagePolicy any = ImagePolicy.parse("*");

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:5000/internal/probe:tag", "127.0.0.1/x", "localhost/x", "localhost:5000/x:1",
            "LOCALHOST:80/x", "registry.localhost/x", "10.1.2.3/x", "172.16.5.4:443/x", "192.168.1.1:80/a/b",
            "169.254.169.254/latest", "100.64.0.1/x", "0.0.0.0:5000/x", "127.1:5000/x", "2130706433:5000/x",
            "0x7f.1/x", "0177.0.0.1/x", "[::1]:5000/x", "[fd00::1]/x", "[fe80::1]/x", "[::ffff:127.0.0.1]/x"})
    void referencesNamingInternalAddressesAreRefusedBeforeTheEngine(String image) {
        assertThatThrownBy(() -> any.checkReference(image))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("loopback, link-local or private address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"python:3.12-alpine", "library/busybox", "agentkernel/busybox:local", "docker.io/library/x",
            "ghcr.io/a/b:1", "registry.example.com:5000/x", "8.8.8.8/x", "localhostfoo/x"})
    void publicOrHubReferencesPass(String image) {
        assertThatCode(() -> any.checkReference(image)).doesNotThrowAnyException();
    }

    @Test
    void anOperatorCanAllowAnInternalRegistryByName() {
        assertThatCode(() -> ImagePolicy.parse("localhost:5000").checkReference("localhost:5000/x")).doesNotThrowAnyException();
        assertThatThrownBy(() -> ImagePolicy.parse("localhost:5000").checkReference("localhost:5001/x"))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
    }

    @Test
    void pullsOnlyFromAllowedRegistries() {
        assertThatThrownBy(() -> ImagePolicy.parse("false").checkPull("python:3"))
                .hasMessageContaining("pulling is turned off");
        assertThatThrownBy(() -> ImagePolicy.parse("").checkPull("python:3")).hasMessageContaining("pulling is turned off");
        assertThatThrownBy(() -> ImagePolicy.parse("ghcr.io").checkPull("python:3"))
                .hasMessageContaining("pulling from docker.io is not allowed");
        assertThatCode(() -> ImagePolicy.parse("ghcr.io, docker.io").checkPull("python:3")).doesNotThrowAnyException();
        assertThatCode(() -> ImagePolicy.parse("GHCR.io").checkPull("ghcr.io/a/b")).doesNotThrowAnyException();
        assertThat(ImagePolicy.parse("true").describe()).isEqualTo("any public registry");
        assertThat(ImagePolicy.parse("false").describe()).isEqualTo("never");
    }

    @Test
    void registryIsReadAsTheEngineReadsIt() {
        assertThat(ImagePolicy.registry("python:3")).isEmpty();
        assertThat(ImagePolicy.registry("a/b")).isEmpty();
        assertThat(ImagePolicy.registry("a.b/c")).contains("a.b");
        assertThat(ImagePolicy.registry("host:1/c")).contains("host:1");
        assertThat(ImagePolicy.registry("localhost/c")).contains("localhost");
        assertThat(ImagePolicy.host("[::1]:5000")).isEqualTo("::1");
        assertThat(ImagePolicy.host("reg:5000")).isEqualTo("reg");
    }
}
