package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.Validation;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

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
}
