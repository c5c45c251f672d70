package dev.agentkernel.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shared input rules that front ends apply to text from callers. */
class ValidationTest {
    @Test
    void durationsParseUpstreamsForms() {
        assertThat(Validation.duration("ttl", "90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Validation.duration("ttl", "1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Validation.duration("ttl", "2d")).isEqualTo(Duration.ofDays(2));
        for (String bad : new String[]{"", "0", "0s", "1x", "-5", "1h 30m", "367d", "1.5h"}) {
            assertThatThrownBy(() -> Validation.duration("ttl", bad)).as(bad)
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("ttl");
        }
    }

    /** A body of many groups is a 400, not a StackOverflowError from the regex (which the server answers with 500). */
    @Test
    void aVeryLongDurationIsAnInvalidRequest() {
        assertThatThrownBy(() -> Validation.duration("by", "1s".repeat(20_000)))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("by");
    }
}
