package dev.agentkernel.client;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventStreamTest {

    private static final String RUN = """
            id: 1\r
            event: started\r
            data: {"sandbox":"sandbox-abc123","image":"busybox:1.36","pooled":true}\r
            \r
            event: progress
            data: {"stage":"creating"}

            : heartbeat

            event: output
            data: {"content":"step 1\\n","stream":"stdout"}

            event: future_event
            data: {"whatever":true}

            event: output
            data: {"content":"oops\\n","stream":"stderr"}

            event: done
            data: {"exit_code":3,"duration_ms":1234,"timed_out":false,"truncated":true}

            event: output
            data: {"content":"after the end"}

            """;

    private static EventStream stream(String text) {
        return new EventStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Wire.newMapper());
    }

    @Test
    void deliversEventsInOrderAndStopsAtDone() {
        List<StreamEvent> events = stream(RUN).stream().toList();
        assertThat(events).containsExactly(
                new StreamEvent.Started("sandbox-abc123", "busybox:1.36", null, true),
                new StreamEvent.Progress("creating"),
                new StreamEvent.Output("step 1\n", "stdout"),
                new StreamEvent.Output("oops\n", "stderr"),
                new StreamEvent.Done(3, Duration.ofMillis(1234), false, true));
    }

    @Test
    void listenerFormReturnsTheTerminalEventAndClosesTheBody() {
        AtomicBoolean closed = new AtomicBoolean();
        InputStream body = new ByteArrayInputStream(RUN.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public void close() throws IOException {
                closed.set(true);
                super.close();
            }
        };
        List<StreamEvent> seen = new ArrayList<>();
        EventStream stream = new EventStream(body, Wire.newMapper());
        assertThat(stream.forEachEvent(seen::add)).contains(new StreamEvent.Done(3, Duration.ofMillis(1234), false, true));
        assertThat(seen).hasSize(5);
        assertThat(closed).isTrue();
    }

    @Test
    void errorEventEndsTheStream() {
        List<StreamEvent> events = stream("""
                event: error
                data: {"message":"Image 'nope' not found","code":"not_found"}

                event: done
                data: {"exit_code":0}

                """).stream().toList();
        assertThat(events).containsExactly(new StreamEvent.Error("Image 'nope' not found", "not_found"));
        assertThat(events.get(0).isTerminal()).isTrue();
    }

    @Test
    void endWithoutTerminalEventIsAProtocolError() {
        EventStream s = stream("event: started\ndata: {\"sandbox\":\"x\"}\n\nevent: output\ndata: {\"content\":\"partial");
        List<StreamEvent> seen = new ArrayList<>();
        assertThatThrownBy(() -> s.forEach(seen::add))
                .isInstanceOf(AgentKernelException.class)
                .satisfies(e -> assertThat(((AgentKernelException) e).code()).isEqualTo(ErrorCode.INTERNAL))
                .hasMessageContaining("without a done or error event");
        assertThat(seen).containsExactly(new StreamEvent.Started("x", null, null, false));
    }

    @Test
    void badJsonIsAProtocolErrorNamingTheEvent() {
        assertThatThrownBy(() -> stream("event: done\ndata: {nope\n\n").stream().toList())
                .isInstanceOf(AgentKernelException.class).hasMessageContaining("'done'");
    }

    @Test
    void closingEndsIterationQuietly() {
        EventStream s = stream(RUN);
        var it = s.iterator();
        assertThat(it.next()).isEqualTo(new StreamEvent.Started("sandbox-abc123", "busybox:1.36", null, true));
        s.close();
        assertThat(it.hasNext()).isFalse();
        assertThat(s.isClosed()).isTrue();
        assertThat(s.terminalEvent()).isEmpty();
    }

    @Test
    void iteratesOnlyOnce() {
        EventStream s = stream(RUN);
        s.iterator();
        assertThatThrownBy(s::iterator).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void multiByteUtf8SplitAcrossReadsIsDecodedWhole() {
        byte[] bytes = "event: output\ndata: {\"content\":\"h\u00e9llo \u2603\"}\n\nevent: done\ndata: {\"exit_code\":0}\n\n"
                .getBytes(StandardCharsets.UTF_8);
        // An InputStream that hands out one byte per read, like a slow network.
        InputStream trickle = new InputStream() {
            int i;

            @Override
            public int read() {
                return i < bytes.length ? bytes[i++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (i >= bytes.length) {
                    return -1;
                }
                b[off] = bytes[i++];
                return 1;
            }
        };
        assertThat(new EventStream(trickle, Wire.newMapper()).stream().toList())
                .first().isEqualTo(new StreamEvent.Output("h\u00e9llo \u2603", null));
    }
}
