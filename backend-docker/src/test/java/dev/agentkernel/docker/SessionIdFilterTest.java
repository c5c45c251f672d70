package dev.agentkernel.docker;

import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class SessionIdFilterTest {
    private final OutputCollector collector = new OutputCollector(1024, OutputListener.NONE);
    private final SessionIdFilter filter = new SessionIdFilter(collector);

    private void feed(String s) {
        byte[] b = ("xx" + s).getBytes(StandardCharsets.UTF_8);
        filter.accept(b, 2, b.length - 2);
    }

    private String stderr() {
        filter.flush();
        return collector.result(0, Duration.ZERO, false).stderr();
    }

    @Test
    void theFirstLineIsTheSessionIdAndIsRemoved() {
        feed("4");
        feed("2\nerr");
        feed("or\n");
        assertThat(filter.sessionId()).isEqualTo("42");
        assertThat(stderr()).isEqualTo("error\n");
    }

    @Test
    void aFirstLineThatIsNotANumberIsPassedOn() {
        feed("OCI runtime exec failed\nmore\n");
        assertThat(filter.sessionId()).isNull();
        assertThat(stderr()).isEqualTo("OCI runtime exec failed\nmore\n");
    }

    @Test
    void aLongFirstLineWithoutNewlineIsPassedOnWhole() {
        feed("12345678901234567890 and more");
        assertThat(filter.sessionId()).isNull();
        assertThat(stderr()).isEqualTo("12345678901234567890 and more");
    }

    @Test
    void aPartialHeadAtTheEndIsFlushed() {
        feed("77");
        assertThat(stderr()).isEqualTo("77");
        assertThat(filter.sessionId()).isNull();
    }
}
