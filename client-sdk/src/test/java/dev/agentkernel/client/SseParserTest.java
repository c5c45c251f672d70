package dev.agentkernel.client;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseParserTest {

    private static List<SseParser.Message> parse(String... lines) {
        SseParser parser = new SseParser();
        List<SseParser.Message> out = new ArrayList<>();
        for (String line : lines) {
            parser.accept(line).ifPresent(out::add);
        }
        return out;
    }

    @Test
    void dispatchesOnBlankLineWithEventIdAndData() {
        assertThat(parse("id: 7", "event: output", "data: {\"content\":\"a\"}", ""))
                .containsExactly(new SseParser.Message("7", "output", "{\"content\":\"a\"}"));
    }

    @Test
    void joinsMultipleDataLinesWithNewline() {
        assertThat(parse("event: x", "data: one", "data: two", "data:three", ""))
                .extracting(SseParser.Message::data).containsExactly("one\ntwo\nthree");
    }

    @Test
    void stripsOnlyOneLeadingSpace() {
        assertThat(parse("data:  two spaces", "")).extracting(SseParser.Message::data).containsExactly(" two spaces");
    }

    @Test
    void ignoresCommentsHeartbeatsRetryAndUnknownFields() {
        assertThat(parse(": heartbeat", "", "retry: 1000", "foo: bar", "event: done", ": ping", "data: {}", ""))
                .containsExactly(new SseParser.Message(null, "done", "{}"));
    }

    @Test
    void messageWithoutDataIsDroppedAndEventNameDoesNotLeak() {
        assertThat(parse("event: started", "", "data: {}", ""))
                .containsExactly(new SseParser.Message(null, "message", "{}"));
    }

    @Test
    void idPersistsAcrossMessagesUntilChanged() {
        assertThat(parse("id: 1", "data: a", "", "data: b", "", "id: 2", "data: c", ""))
                .extracting(SseParser.Message::id).containsExactly("1", "1", "2");
    }

    @Test
    void fieldWithoutColonHasEmptyValue() {
        assertThat(parse("data", "")).extracting(SseParser.Message::data).containsExactly("");
    }

    @Test
    void resetDropsAnUnfinishedMessage() {
        SseParser parser = new SseParser();
        parser.accept("event: output");
        parser.accept("data: half");
        parser.reset();
        assertThat(parser.accept("")).isEmpty();
    }
}
