package dev.agentkernel.docker;

import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.OutputCollector;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Takes the wrapper's first stderr line (the session id) off the stderr stream and passes the rest on.
 * If the first line is not a number (the wrapper could not run), everything is passed on unchanged.
 */
final class SessionIdFilter {
    private final OutputCollector collector;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private volatile String sessionId;
    private boolean headDone;

    SessionIdFilter(OutputCollector collector) {
        this.collector = collector;
    }

    String sessionId() {
        return sessionId;
    }

    synchronized void accept(byte[] bytes, int off, int len) {
        if (headDone) {
            collector.accept(OutputChunk.Stream.STDERR, bytes, off, len);
            return;
        }
        for (int i = 0; i < len; i++) {
            byte b = bytes[off + i];
            if (b == '\n') {
                String line = head.toString(StandardCharsets.US_ASCII);
                headDone = true;
                if (line.matches("[0-9]{1,10}")) {
                    sessionId = line;
                } else {
                    head.write(b);
                    flush();
                }
                head.reset();
                if (i + 1 < len) {
                    collector.accept(OutputChunk.Stream.STDERR, bytes, off + i + 1, len - i - 1);
                }
                return;
            }
            head.write(b);
            if (head.size() > 16) {
                headDone = true;
                flush();
                if (i + 1 < len) {
                    collector.accept(OutputChunk.Stream.STDERR, bytes, off + i + 1, len - i - 1);
                }
                return;
            }
        }
    }

    synchronized void flush() {
        headDone = true;
        if (head.size() > 0) {
            byte[] b = head.toByteArray();
            head.reset();
            collector.accept(OutputChunk.Stream.STDERR, b, 0, b.length);
        }
    }
}
