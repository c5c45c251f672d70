package dev.agentkernel.client;

import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunResult;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads one event stream into a {@link RunListener} and a result, as the in-process kernel reports the same run:
 * {@code started} (with the image and whether the pool served it), {@code progress} stages, {@code output} chunks,
 * {@code done}; an {@code error} event is thrown as the exception its code stands for.
 *
 * <p>A {@link Cancellation} closes the connection, on which the server kills the command (and removes a temporary
 * sandbox). No {@code done} can arrive after that, so the result is what the kernel reports for a killed command:
 * the output so far, exit code {@value ExecResult#KILLED_EXIT_CODE}, timed out.
 */
final class ListenedStream {
    private final RunListener listener;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream both = new ByteArrayOutputStream();
    private String sandbox = "unknown";
    private String image;
    private String imageNote;
    private boolean pooled;

    private ListenedStream(RunListener listener) {
        this.listener = listener == null ? RunListener.NONE : listener;
    }

    static RunResult run(EventStream events, RunListener listener, Cancellation cancellation) {
        ListenedStream s = new ListenedStream(listener);
        ExecResult result = s.read(events, cancellation);
        return new RunResult(s.sandbox, s.image, s.imageNote, s.pooled, result);
    }

    static ExecResult exec(EventStream events, RunListener listener, Cancellation cancellation) {
        return new ListenedStream(listener).read(events, cancellation);
    }

    private ExecResult read(EventStream events, Cancellation cancellation) {
        long start = System.nanoTime();
        Cancellation c = cancellation == null ? Cancellation.create() : cancellation;
        c.onCancel(events::close);
        ExecResult result = null;
        try (events) {
            for (StreamEvent e : events) {
                if (e instanceof StreamEvent.Started st) {
                    sandbox = st.sandbox();
                    image = st.image();
                    imageNote = st.imageNote();
                    pooled = st.pooled();
                    listener.onStarted(st.sandbox(), st.image(), st.imageNote(), st.pooled());
                } else if (e instanceof StreamEvent.Progress p) {
                    stage(p.stage());
                } else if (e instanceof StreamEvent.Output o) {
                    byte[] bytes = o.content().getBytes(StandardCharsets.UTF_8);
                    (o.isStderr() ? stderr : stdout).writeBytes(bytes);
                    both.writeBytes(bytes);
                    listener.onOutput(new OutputChunk(o.isStderr() ? OutputChunk.Stream.STDERR : OutputChunk.Stream.STDOUT,
                            bytes));
                } else if (e instanceof StreamEvent.Done d) {
                    result = result(d.exitCode(), d.duration(), d.timedOut(), d.truncated());
                } else if (e instanceof StreamEvent.Error err) {
                    throw Errors.fromEvent(err.code(), err.message());
                }
            }
        }
        if (result == null) {
            if (!c.isCancelled()) {
                throw Errors.protocol("the stream was closed before its end", null);
            }
            result = result(ExecResult.KILLED_EXIT_CODE, Duration.ofNanos(System.nanoTime() - start), true, false);
        }
        listener.onDone(result);
        return result;
    }

    private ExecResult result(int exitCode, Duration duration, boolean timedOut, boolean truncated) {
        return new ExecResult(exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8),
                both.toString(StandardCharsets.UTF_8), duration, timedOut, truncated);
    }

    private void stage(String wire) {
        for (RunListener.Stage s : RunListener.Stage.values()) {
            if (s.wireName().equals(wire.toLowerCase(Locale.ROOT))) {
                listener.onProgress(s);
                return;
            }
        }
        // a stage this client does not know: forward compatible
    }
}
