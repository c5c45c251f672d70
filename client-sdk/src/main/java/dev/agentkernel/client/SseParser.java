package dev.agentkernel.client;

import java.util.Optional;

/**
 * Turns the lines of a {@code text/event-stream} into messages, following the WHATWG rules the server relies on:
 * {@code event:}, {@code data:} (several lines joined with a newline), {@code id:}; comment lines (heartbeats)
 * and {@code retry:} are ignored; a blank line ends a message; a message without data is dropped. Line splitting
 * (CR, LF, CRLF) is the caller's ({@link java.io.BufferedReader#readLine()} does it). Not thread-safe.
 */
final class SseParser {
    private String event;
    private String id;
    private StringBuilder data;

    /** One dispatched message; {@code event} is {@code message} when the server named none. */
    record Message(String id, String event, String data) {
    }

    /** Feeds one line (without its terminator); returns a message when the line completes one. */
    Optional<Message> accept(String line) {
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.charAt(0) == ':') {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            case "id" -> {
                if (value.indexOf('\0') < 0) {
                    id = value;
                }
            }
            default -> {
                // "retry" and unknown fields carry nothing for this client.
            }
        }
        return Optional.empty();
    }

    /** Ends the input: a message still open without its blank line is dropped, as the SSE rules say. */
    void reset() {
        event = null;
        data = null;
    }

    private Optional<Message> dispatch() {
        Optional<Message> out = data == null ? Optional.empty()
                : Optional.of(new Message(id, event == null || event.isEmpty() ? "message" : event, data.toString()));
        event = null;
        data = null;
        return out;
    }
}
