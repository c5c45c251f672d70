package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ToolArgumentsTest {

    private static ToolArguments args(Map<String, Object> values) {
        return new ToolArguments("sandbox_exec", values);
    }

    @Test
    void unknownArgumentsAreRejectedByName() {
        assertThatThrownBy(() -> args(Map.of("name", "a", "timeout", 5)).allowOnly(Set.of("name", "timeout_ms")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("sandbox_exec")
                .hasMessageContaining("unknown argument timeout")
                .hasMessageContaining("allowed: name, timeout_ms");
    }

    @Test
    void commandMustBeANonEmptyArrayOfStrings() {
        assertThat(args(Map.of("command", List.of("echo", "hi"))).requiredStringList("command"))
                .containsExactly("echo", "hi");
        assertThatThrownBy(() -> args(Map.of("command", "echo hi")).requiredStringList("command"))
                .hasMessageContaining("'command' must be an array of strings").hasMessageContaining("got a string");
        assertThatThrownBy(() -> args(Map.of("command", List.of())).requiredStringList("command"))
                .hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> args(Map.of("command", List.of("echo", 3))).requiredStringList("command"))
                .hasMessageContaining("'command[1]' must be a string, got a number");
        assertThatThrownBy(() -> args(Map.of()).requiredStringList("command"))
                .hasMessageContaining("'command' is required");
    }

    @Test
    void integersAreCheckedForTypeFractionAndRange() {
        assertThat(args(Map.of("timeout_ms", 1500)).optionalLong("timeout_ms", 1, 10_000)).isEqualTo(1500L);
        assertThat(args(Map.of("timeout_ms", 1500.0)).optionalLong("timeout_ms", 1, 10_000)).isEqualTo(1500L);
        assertThat(args(Map.of()).optionalLong("timeout_ms", 1, 10_000)).isNull();
        assertThatThrownBy(() -> args(Map.of("timeout_ms", 1.5)).optionalLong("timeout_ms", 1, 10_000))
                .hasMessageContaining("'timeout_ms' must be an integer");
        assertThatThrownBy(() -> args(Map.of("timeout_ms", 0)).optionalLong("timeout_ms", 1, 10_000))
                .hasMessageContaining("'timeout_ms' must be between 1 and 10000, got 0");
        assertThatThrownBy(() -> args(Map.of("timeout_ms", "5")).optionalLong("timeout_ms", 1, 10_000))
                .hasMessageContaining("must be an integer, got a string");
    }

    @Test
    void envMustMapNamesToStrings() {
        assertThat(args(Map.of("env", Map.of("A", "1"))).stringMap("env")).containsEntry("A", "1");
        assertThat(args(Map.of()).stringMap("env")).isEmpty();
        assertThatThrownBy(() -> args(Map.of("env", Map.of("A", 1))).stringMap("env"))
                .hasMessageContaining("'env.A' must be a string, got a number");
        assertThatThrownBy(() -> args(Map.of("env", List.of("A=1"))).stringMap("env"))
                .hasMessageContaining("'env' must be an object");
    }

    @Test
    void enumsListTheAllowedValues() {
        assertThat(args(Map.of("profile", "restrictive")).optionalEnum("profile", SandboxTools.PROFILES))
                .isEqualTo("restrictive");
        assertThatThrownBy(() -> args(Map.of("profile", "root")).optionalEnum("profile", SandboxTools.PROFILES))
                .hasMessageContaining("'profile' must be one of permissive, moderate, restrictive, got 'root'");
    }

    @Test
    void workdirAndItsAliasCwdAgreeOrFail() {
        assertThat(args(Map.of("cwd", "/tmp")).aliasedString("workdir", "cwd")).isEqualTo("/tmp");
        assertThat(args(Map.of("workdir", "/w", "cwd", "/w")).aliasedString("workdir", "cwd")).isEqualTo("/w");
        assertThatThrownBy(() -> args(Map.of("workdir", "/a", "cwd", "/b")).aliasedString("workdir", "cwd"))
                .hasMessageContaining("either 'workdir' or 'cwd'");
    }
}
