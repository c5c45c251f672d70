package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.internal.CommandLimits;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecRequestLimitsTest {
    @Test
    void hugeEnvironmentIsRefusedLikeHugeArguments() {
        Map<String, String> env = Map.of("BIG", "x".repeat(Validation.MAX_ARGV_BYTES));
        assertThatThrownBy(() -> new ExecRequest(List.of("true"), env, null, null, null, 0))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("environment");
    }

    @Test
    void argumentsAndEnvironmentShareTheBudget() {
        String half = "x".repeat(Validation.MAX_ARGV_BYTES / 2);
        assertThatThrownBy(() -> new ExecRequest(List.of("echo", half), Map.of("A", half), null, null, null, 0))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThatCode(() -> new ExecRequest(List.of("echo", "hi"), Map.of("A", "b"), null, null, null, 0))
                .doesNotThrowAnyException();
    }

    @Test
    void aTimeoutAboveTheConfiguredMaximumIsRefusedNeverOverflowed() {
        CommandLimits limits = new CommandLimits(AgentKernelConfig.defaults().limits()
                .withMaxTimeout(Duration.ofHours(2)));
        for (Duration huge : List.of(Duration.ofHours(2).plusMillis(1), Duration.ofMillis(Long.MAX_VALUE),
                Duration.ofSeconds(Long.MAX_VALUE))) {
            assertThatThrownBy(() -> limits.apply(ExecRequest.of("true").withTimeout(huge)))
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                    .hasMessage("Invalid timeout_ms: must be at most 7200000 (limits.max_timeout_ms)");
        }
        assertThat(limits.apply(ExecRequest.of("true").withTimeout(Duration.ofHours(2))).timeout())
                .isEqualTo(Duration.ofHours(2));
        assertThat(limits.apply(ExecRequest.of("true")).timeout()).isEqualTo(AgentKernelConfig.defaults().limits().timeout());
    }

    @Test
    void theDefaultTimeoutCannotExceedTheMaximum() {
        AgentKernelConfig.Limits l = AgentKernelConfig.defaults().limits();
        assertThatThrownBy(() -> new AgentKernelConfig.Limits(Duration.ofHours(25), l.maxOutputBytes(), l.maxFileBytes(),
                l.maxConcurrentRuns(), l.maxExecsPerSandbox(), Duration.ofHours(24)))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("limits.timeout_ms").hasMessageContaining("limits.max_timeout_ms");
    }
}
