package dev.agentkernel.server;

import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads an HTTP/1.1 response from a sandbox's port as its bytes come: the head (interim 1xx answers other than 101
 * skipped), then the body framed by {@code Content-Length}, chunked transfer coding (decoded; trailers dropped) or
 * the end of the connection; none after HEAD, 204 and 304. After a 101 every further byte is the new protocol's,
 * passed on as it is. Not thread-safe: one caller (the connection's event loop).
 */
final class ResponseReader {
    /** The most a response head may take: a larger one is not a response we relay. */
    static final int MAX_HEAD_BYTES = 64 * 1024;

    /** A response head as the sandbox sent it. */
    record Head(int status, String reason, List<Map.Entry<String, String>> headers, Framing framing) {
    }

    enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE, SWITCHED }

    /** Where the reader's findings go. */
    interface Sink {
        void head(Head head);

        void body(Buffer data);

        void end();
    }

    /** The sandbox's answer is not HTTP we can relay. */
    static final class BadResponse extends RuntimeException {
        BadResponse(String message) {
            super(message, null, false, false);
        }
    }

    private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILER, UNTIL_CLOSE, SWITCHED, DONE }

    private final boolean headRequest;
    private final Sink sink;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private State state = State.HEAD;
    private long remaining;

    ResponseReader(boolean headRequest, Sink sink) {
        this.headRequest = headRequest;
        this.sink = sink;
    }

    boolean done() {
        return state == State.DONE;
    }

    /** Whether the head has been read (so an error can no longer be an HTTP answer of ours). */
    boolean headRead() {
        return state != State.HEAD;
    }

    void feed(byte[] data) {
        int i = 0;
        while (i < data.length && state != State.DONE) {
            switch (state) {
                case HEAD -> i = readHead(data, i);
                case LENGTH -> {
                    int n = (int) Math.min(remaining, data.length - i);
                    sink.body(Buffer.buffer().appendBytes(data, i, n));
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        finish();
                    }
                }
                case CHUNK_SIZE, CHUNK_DATA_END, TRAILER -> i = readLine(data, i);
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, data.length - i);
                    sink.body(Buffer.buffer().appendBytes(data, i, n));
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.CHUNK_DATA_END;
                    }
                }
                case UNTIL_CLOSE, SWITCHED -> {
                    sink.body(Buffer.buffer().appendBytes(data, i, data.length - i));
                    i = data.length;
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
    }

    /** The sandbox side finished writing: the end of a body read until then, else a truncated answer. */
    void eof() {
        switch (state) {
            case DONE -> { }
            case UNTIL_CLOSE, SWITCHED -> finish();
            case HEAD -> throw new BadResponse("the port closed the connection without an HTTP answer");
            default -> throw new BadResponse("the port closed the connection in the middle of the answer");
        }
    }

    private void finish() {
        state = State.DONE;
        sink.end();
    }

    private int readHead(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            line.write(data[i]);
            int n = line.size();
            if (n > MAX_HEAD_BYTES) {
                throw new BadResponse("the answer's head is larger than " + MAX_HEAD_BYTES + " bytes");
            }
            if (n >= 4 && data[i] == '\n') {
                byte[] b = line.toByteArray();
                boolean end = b[n - 2] == '\n' || (b[n - 2] == '\r' && b[n - 3] == '\n');
                if (end) {
                    line.reset();
                    head(new String(b, StandardCharsets.ISO_8859_1));
                    return i + 1;
                }
            }
        }
        return data.length;
    }

    private void head(String text) {
        String[] lines = text.split("\r?\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new BadResponse("the port did not answer with HTTP/1.x");
        }
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            throw new BadResponse("the port answered with a malformed status line");
        }
        if (code < 100 || code > 999) {
            throw new BadResponse("the port answered with a malformed status line");
        }
        if (code >= 100 && code < 200 && code != 101) {
            return; // an interim answer (100 Continue, 103): the final one follows
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        boolean chunked = false;
        long length = -1;
        for (int k = 1; k < lines.length; k++) {
            String l = lines[k];
            if (l.isEmpty()) {
                continue;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw new BadResponse("the port answered with a malformed header line");
            }
            String name = l.substring(0, colon).trim();
            String value = l.substring(colon + 1).trim();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            } else if (lower.equals("content-length")) {
                try {
                    long l2 = Long.parseLong(value);
                    if (l2 < 0 || (length >= 0 && length != l2)) {
                        throw new NumberFormatException();
                    }
                    length = l2;
                } catch (NumberFormatException e) {
                    throw new BadResponse("the port answered with an invalid Content-Length");
                }
            }
            headers.add(Map.entry(name, value));
        }
        Framing framing;
        if (code == 101) {
            framing = Framing.SWITCHED;
        } else if (headRequest || code == 204 || code == 304) {
            framing = Framing.NONE;
        } else if (chunked) {
            framing = Framing.CHUNKED;
        } else if (length >= 0) {
            framing = length == 0 ? Framing.NONE : Framing.LENGTH;
        } else {
            framing = Framing.UNTIL_CLOSE;
        }
        sink.head(new Head(code, status.length > 2 ? status[2] : "", headers, framing));
        switch (framing) {
            case NONE -> finish();
            case LENGTH -> {
                state = State.LENGTH;
                remaining = length;
            }
            case CHUNKED -> state = State.CHUNK_SIZE;
            case UNTIL_CLOSE -> state = State.UNTIL_CLOSE;
            case SWITCHED -> state = State.SWITCHED;
            default -> throw new IllegalStateException();
        }
    }

    /** A line of the chunked coding: a chunk size, the CRLF after a chunk, or a trailer line. */
    private int readLine(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] != '\n') {
                line.write(data[i]);
                if (line.size() > 8192) {
                    throw new BadResponse("the port sent an overlong chunk line");
                }
                continue;
            }
            String l = line.toString(StandardCharsets.ISO_8859_1).strip();
            line.reset();
            switch (state) {
                case CHUNK_SIZE -> {
                    int semi = l.indexOf(';');
                    try {
                        remaining = Long.parseLong(semi < 0 ? l : l.substring(0, semi).strip(), 16);
                    } catch (NumberFormatException e) {
                        throw new BadResponse("the port sent a malformed chunk size");
                    }
                    if (remaining < 0) {
                        throw new BadResponse("the port sent a malformed chunk size");
                    }
                    state = remaining == 0 ? State.TRAILER : State.CHUNK_DATA;
                }
                case CHUNK_DATA_END -> {
                    if (!l.isEmpty()) {
                        throw new BadResponse("the port sent a chunk longer than it said");
                    }
                    state = State.CHUNK_SIZE;
                }
                case TRAILER -> {
                    if (l.isEmpty()) {
                        finish();
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
            return i + 1;
        }
        return data.length;
    }
}
