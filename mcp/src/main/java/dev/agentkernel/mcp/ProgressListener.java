package dev.agentkernel.mcp;

import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Turns a run's events into progress reports: every stage, and the output so far at most once per
 * {@code interval} (a chatty command must not flood the client with notifications).
 */
final class ProgressListener implements RunListener {
    static final long DEFAULT_INTERVAL_NANOS = 500_000_000L;

    private final ProgressSink sink;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final AtomicLong stdoutBytes = new AtomicLong();
    private final AtomicLong stderrBytes = new AtomicLong();
    private final AtomicLong lastOutputReport;

    ProgressListener(ProgressSink sink) {
        this(sink, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    ProgressListener(ProgressSink sink, long intervalNanos, LongSupplier clock) {
        this.sink = sink;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.lastOutputReport = new AtomicLong(clock.getAsLong() - intervalNanos);
    }

    @Override
    public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
        sink.report("sandbox " + sandbox + " started (image " + image + ")");
    }

    @Override
    public void onProgress(Stage stage) {
        sink.report(stage.wireName());
    }

    @Override
    public void onOutput(OutputChunk chunk) {
        (chunk.stream() == OutputChunk.Stream.STDOUT ? stdoutBytes : stderrBytes).addAndGet(chunk.bytes().length);
        long now = clock.getAsLong();
        long last = lastOutputReport.get();
        if (now - last >= intervalNanos && lastOutputReport.compareAndSet(last, now)) {
            sink.report("running: " + stdoutBytes.get() + " bytes of stdout, " + stderrBytes.get() + " bytes of stderr so far");
        }
    }
}
