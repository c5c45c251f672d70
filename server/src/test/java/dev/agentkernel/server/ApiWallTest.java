package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.config.AgentKernelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiWallTest {
    private static final ServerOptions DEFAULTS = ServerOptions.from(AgentKernelConfig.defaults(), null);

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"})
    void loopbackNeedsNoKey(String host) {
        assertThat(ApiWall.check(DEFAULTS.withHost(host))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "192.0.2.10", "no-such-host.invalid"})
    void beyondLoopbackWithoutAKeyIsRefusedInOneLineWithTheFix(String host) {
        assertThatThrownBy(() -> ApiWall.check(DEFAULTS.withHost(host)))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("Refusing to listen on " + host + " without an API key")
                .hasMessageContaining("AGENTKERNEL_API_KEY").hasMessageContaining("--insecure-no-auth")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aKeyOrTheExplicitFlagOpensTheWall() {
        assertThat(ApiWall.check(DEFAULTS.withHost("0.0.0.0").withApiKey("k"))).isFalse();
        assertThat(ApiWall.check(DEFAULTS.withHost("0.0.0.0").withInsecureNoAuth(true))).as("insecure: warn").isTrue();
        assertThat(DEFAULTS.withInsecureNoAuth(true).withPort(1).insecureNoAuth()).as("kept by withers").isTrue();
    }

    @Test
    void theServerItselfRefusesBeforeBinding() {
        assertThatThrownBy(() -> AgentKernelServer.start(null, DEFAULTS.withHost("0.0.0.0").withPort(0)))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
    }
}
