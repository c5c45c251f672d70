package dev.agentkernel.docker.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * The agent's stderr on its way to the server log. It comes from inside a sandbox, so it is treated as
 * untrusted text: split into lines of at most {@link #MAX_LINE} bytes, control characters escaped (no ESC or CR
 * reaches a terminal or log viewer raw), every line tagged with the sandbox, and the volume limited by a token
 * bucket ({@link #BURST} bytes, refilled at {@link #RATE} bytes a second). What the bucket refuses is counted and
 * reported in one summary line once it has room again (or when the stream ends). Thread-safe. Public for the
 * Kubernetes backend, whose agents write their stderr to the attach stream's channel 2.
 */
public final class AgentDiagnostics {
    private static final Logger LOG = LoggerFactory.getLogger(AgentDiagnostics.class);
    static final int MAX_LINE = 1024;
    static final long BURST = 16 * 1024;
    static final long RATE = 4 * 1024;
    /** A line costs at least this, so a flood of empty lines is limited too. */
    private static final int MIN_COST = 64;

    private final String sandbox;
    private final LongSupplier clock;
    private final Sink sink;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long tokens = BURST;
    private long refilledAt;
    private long droppedBytes;
    private long droppedLines;

    /** Where accepted lines go (the log; tests capture). */
    interface Sink {
        void line(String text);
    }

    public AgentDiagnostics(String sandbox) {
        this(sandbox, System::nanoTime, text -> LOG.warn("{}", text));
    }

    AgentDiagnostics(String sandbox, LongSupplier clock, Sink sink) {
        this.sandbox = sandbox;
        this.clock = clock;
        this.sink = sink;
        this.refilledAt = clock.getAsLong();
    }

    public synchronized void accept(byte[] bytes, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                flushLine();
            } else if (line.size() < MAX_LINE) {
                line.write(b);
            } else {
                flushLine(); // an endless line is cut into pieces, each paid for
                line.write(b);
            }
        }
    }

    /** The stream ended: says what was dropped since the last line that got through. */
    public synchronized void finish() {
        if (line.size() > 0) {
            flushLine();
        }
        reportDropped();
    }

    private void flushLine() {
        int size = line.size();
        refill();
        long cost = Math.max(size, MIN_COST);
        if (tokens < cost) {
            droppedBytes += size + 1;
            droppedLines++;
        } else {
            reportDropped();
            tokens -= cost;
            emit(AgentProtocol.printable(line.toString(StandardCharsets.UTF_8), MAX_LINE));
        }
        line.reset();
    }

    private void reportDropped() {
        if (droppedLines > 0) {
            emit("(" + droppedLines + " lines, " + droppedBytes + " bytes of agent stderr dropped: over " + RATE
                    + " bytes/s)");
            droppedLines = 0;
            droppedBytes = 0;
        }
    }

    private void refill() {
        long now = clock.getAsLong();
        long earned = (now - refilledAt) * RATE / 1_000_000_000L;
        if (earned > 0) {
            tokens = Math.min(BURST, tokens + earned);
            refilledAt = now;
        }
    }

    private void emit(String text) {
        sink.line("agent of sandbox '" + sandbox + "': " + text);
    }
}
