package dev.agentkernel.mcp;

import dev.agentkernel.api.ExecResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class OutputCapTest {

    @Test
    void cutsAtCharacterBoundariesWithinTheByteBudget() {
        String s = "aé€😀b"; // 1 + 2 + 3 + 4 + 1 bytes
        assertThat(OutputCap.cut(s, 1)).isEqualTo("a");
        assertThat(OutputCap.cut(s, 2)).isEqualTo("a");
        assertThat(OutputCap.cut(s, 3)).isEqualTo("aé");
        assertThat(OutputCap.cut(s, 9)).isEqualTo("aé€");
        assertThat(OutputCap.cut(s, 10)).isEqualTo("aé€😀");
        assertThat(OutputCap.cut(s, 11)).isEqualTo(s);
        for (int max = 0; max <= 12; max++) {
            assertThat(OutputCap.cut(s, max).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(max);
        }
    }

    @Test
    void limitMarksTruncationOnlyWhenSomethingWasCut() {
        ExecResult small = new ExecResult(3, "out", "err", "outerr", Duration.ofMillis(5), false, false);
        assertThat(OutputCap.limit(small, 10)).isSameAs(small);

        ExecResult big = new ExecResult(0, "x".repeat(100), "y", "", Duration.ZERO, true, false);
        ExecResult cut = OutputCap.limit(big, 10);
        assertThat(cut.stdout()).isEqualTo("x".repeat(10));
        assertThat(cut.stderr()).isEqualTo("y");
        assertThat(cut.truncated()).isTrue();
        assertThat(cut.timedOut()).isTrue();
        assertThat(cut.exitCode()).isZero();
    }
}
