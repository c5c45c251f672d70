package dev.agentkernel.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostAllowlistTest {
    private final HostAllowlist hosts = new HostAllowlist("127.0.0.1", List.of());

    @Test
    void oneLoopbackHostPasses() {
        assertThatCode(() -> hosts.check(List.of("localhost:18888"))).doesNotThrowAnyException();
        assertThatCode(() -> hosts.check(List.of())).doesNotThrowAnyException();
    }

    @Test
    void foreignHostIsForbidden() {
        assertThatThrownBy(() -> hosts.check(List.of("evil.example")))
                .isInstanceOfSatisfying(HttpFailure.class, f -> org.assertj.core.api.Assertions.assertThat(f.status()).isEqualTo(403));
    }

    @Test
    void duplicateHostHeadersAreRefusedEvenWhenTheFirstIsAllowed() {
        assertThatThrownBy(() -> hosts.check(List.of("localhost", "evil.example")))
                .isInstanceOfSatisfying(HttpFailure.class, f -> org.assertj.core.api.Assertions.assertThat(f.status()).isEqualTo(400));
    }
}
