package dev.agentkernel.core;

import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.OutputListener;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Collects a command's output while it is read: stdout and stderr apart, plus both interleaved in arrival
 * order, each stream capped at {@code maxBytesPerStream} as the bytes arrive (never accumulate-then-truncate).
 * Forwards every accepted chunk to a listener. Every backend builds its {@link ExecResult} with this, so caps
 * and truncation behave the same on every path. Thread-safe.
 */
public final class OutputCollector {
    private final long maxBytesPerStream;
    private final OutputListener listener;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream interleaved = new ByteArrayOutputStream();
    private boolean truncated;

    public OutputCollector(long maxBytesPerStream, OutputListener listener) {
        if (maxBytesPerStream <= 0) {
            throw new IllegalArgumentException("maxBytesPerStream must be positive");
        }
        this.maxBytesPerStream = maxBytesPerStream;
        this.listener = listener == null ? OutputListener.NONE : listener;
    }

    /** Accepts bytes from one stream; returns false once that stream is over its cap (the reader may stop). */
    public boolean accept(OutputChunk.Stream stream, byte[] bytes, int offset, int length) {
        byte[] accepted;
        synchronized (this) {
            ByteArrayOutputStream target = stream == OutputChunk.Stream.STDOUT ? stdout : stderr;
            long room = maxBytesPerStream - target.size();
            int take = (int) Math.max(0, Math.min(room, length));
            if (take < length) {
                truncated = true;
            }
            if (take == 0) {
                return false;
            }
            target.write(bytes, offset, take);
            interleaved.write(bytes, offset, take);
            accepted = new byte[take];
            System.arraycopy(bytes, offset, accepted, 0, take);
        }
        listener.onOutput(new OutputChunk(stream, accepted));
        return true;
    }

    public boolean accept(OutputChunk.Stream stream, byte[] bytes) {
        return accept(stream, bytes, 0, bytes.length);
    }

    public synchronized boolean truncated() {
        return truncated;
    }

    /** Marks the output as truncated (e.g. a backend-side limit cut it). */
    public synchronized void markTruncated() {
        truncated = true;
    }

    public synchronized ExecResult result(int exitCode, Duration duration, boolean timedOut) {
        return new ExecResult(exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8),
                interleaved.toString(StandardCharsets.UTF_8), duration, timedOut, truncated);
    }
}
