package dev.agentkernel.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.Validation;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place where Server-Sent Events are written. The kernel calls it as a {@link RunListener} on its own
 * threads; every write and the final end go through one ordered path (tasks on the request's event loop context,
 * FIFO), so the end can never overtake queued output.
 *
 * <ul>
 *   <li>Headers are sent with the first event: a failure before it (not found, busy, ...) is still a plain JSON
 *       error with its proper status.</li>
 *   <li>Each event has {@code id:}, {@code event:} and one {@code data:} line of JSON; idle streams get a
 *       {@code : ping} comment every heartbeat interval.</li>
 *   <li>Producers never wait. The listener runs on the threads that run the command and read its output (one
 *       agent reader serves every call of a sandbox), so waiting here for a slow client would stall the command's
 *       worker and the sandbox's other calls, and a failure or the end would queue behind the wait: the worker stays
 *       pinned until the client closes (~48 such readers pinned every worker). Instead each stream has one bounded
 *       buffer, the bytes handed to the connection and not yet taken by the socket. A client that lets it overflow
 *       ({@link Limits#bufferBytes}), or takes nothing of it for {@link Limits#stallTimeout}, loses its connection,
 *       and its command is cancelled as if it had left. After the end, what the client left unread stays within
 *       that buffer until the connection's idle timeout closes it.</li>
 *   <li>When the client goes away the {@link Cancellation} fires (on a {@link CancelExecutor} thread, never on the
 *       event loop): the kernel kills the command and removes a temporary sandbox.</li>
 * </ul>
 */
final class SseStream implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(SseStream.class);

    /**
     * How streams treat their clients.
     *
     * @param heartbeat    a {@code : ping} comment on a stream idle this long
     * @param bufferBytes  bytes of events a client may leave unread before its connection is dropped
     * @param stallTimeout a client that takes none of its unread events for this long is dropped
     */
    record Limits(Duration heartbeat, long bufferBytes, Duration stallTimeout) {
        static Limits of(ServerOptions o) {
            return new Limits(o.heartbeatInterval(), o.streamBufferBytes(), o.streamStallTimeout());
        }
    }

    private final RoutingContext ctx;
    private final HttpServerResponse response;
    private final Context context;
    private final Vertx vertx;
    private final Cancellation cancellation;
    private final CancelExecutor cancels;
    private final ServerMetrics metrics;
    private final Map<OutputChunk.Stream, Utf8ChunkDecoder> decoders = new EnumMap<>(OutputChunk.Stream.class);
    private final Runnable onClose;
    private final long heartbeatMs;
    private final long maxBuffered;
    private final long stallNanos;
    /** Bytes handed to the event loop or the connection and not yet written to the socket. */
    private final AtomicLong buffered = new AtomicLong();

    // Producer side, guarded by 'this'.
    private long nextId = 1;
    private boolean doneSent;
    private boolean finished;

    // Event loop side only.
    private boolean headersSent;
    private boolean ended;
    private boolean cleanedUp;
    private long timer = -1;
    private long lastWriteNanos = System.nanoTime();
    /** Writes not yet on the socket, and when the socket last took one (or the first of them was handed over). */
    private int pendingWrites;
    private long progressNanos;

    private volatile boolean clientGone;

    SseStream(RoutingContext ctx, Cancellation cancellation, CancelExecutor cancels, Limits limits,
              ServerMetrics metrics, Runnable onClose) {
        this.ctx = ctx;
        this.response = ctx.response();
        this.vertx = ctx.vertx();
        this.context = vertx.getOrCreateContext();
        this.cancellation = cancellation;
        this.cancels = cancels;
        this.metrics = metrics;
        this.heartbeatMs = Math.max(1, limits.heartbeat().toMillis());
        this.maxBuffered = limits.bufferBytes();
        this.stallNanos = limits.stallTimeout().toNanos();
        this.onClose = onClose;
        response.closeHandler(v -> clientWentAway());
        response.exceptionHandler(e -> clientWentAway());
    }

    /** On the event loop: the kill is handed to the {@link CancelExecutor}, never run here. */
    private void clientWentAway() {
        if (!ended) {
            clientGone = true;
            cancels.cancel(cancellation);
            cleanUp();
        }
    }

    @Override
    public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("sandbox", sandbox);
        Wire.putRunExtensions(n, image, imageNote, pooled);
        event("started", n);
    }

    @Override
    public void onProgress(Stage stage) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("stage", stage.wireName());
        event("progress", n);
    }

    @Override
    public synchronized void onOutput(OutputChunk chunk) {
        String text = decoders.computeIfAbsent(chunk.stream(), s -> new Utf8ChunkDecoder()).decode(chunk.bytes());
        output(chunk.stream(), text);
    }

    @Override
    public synchronized void onDone(ExecResult result) {
        if (doneSent || finished) {
            return;
        }
        decoders.forEach((stream, decoder) -> output(stream, decoder.finish()));
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("exit_code", result.exitCode());
        n.put("duration_ms", result.duration().toMillis());
        n.put("timed_out", result.timedOut());
        n.put("truncated", result.truncated());
        event("done", n);
        doneSent = true;
    }

    private void output(OutputChunk.Stream stream, String text) {
        if (text.isEmpty()) {
            return;
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("content", text);
        n.put("stream", stream.wireName());
        event("output", n);
    }

    /** Ends the stream after the command returned: {@code done} from the result if the kernel did not send it. */
    synchronized void complete(ExecResult result) {
        onDone(result);
        finish(null);
    }

    /**
     * Ends the stream after a failure: a plain JSON error when nothing was sent yet, else an {@code error} event.
     */
    synchronized void fail(Throwable failure) {
        finish(failure);
    }

    private void finish(Throwable failure) {
        if (finished) {
            return;
        }
        finished = true;
        if (failure == null) {
            context.runOnContext(v -> end());
            return;
        }
        FailureRenderer.Rendered r = FailureRenderer.render(failure, 500);
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("message", r.message());
        n.put("code", r.code().code());
        Buffer frame = frame(nextId++, "error", n);
        buffered.addAndGet(frame.length()); // the last event may pass the bound: it ends the stream
        context.runOnContext(v -> {
            if (!headersSent && !clientGone) {
                buffered.addAndGet(-frame.length());
                FailureRenderer.send(response, r);
                ended = true;
                cleanUp();
            } else {
                write(frame);
                end();
            }
        });
    }

    /** Hands an event to the event loop, or drops the client when its buffer would overflow. Never waits. */
    private synchronized void event(String name, ObjectNode data) {
        if (finished || clientGone) {
            return;
        }
        Buffer frame = frame(nextId++, name, data);
        long now = buffered.addAndGet(frame.length());
        if (now > maxBuffered) {
            buffered.addAndGet(-frame.length());
            finished = true;
            context.runOnContext(v -> drop("it left more than " + maxBuffered + " bytes of events unread"));
            return;
        }
        context.runOnContext(v -> write(frame));
    }

    private static Buffer frame(long id, String event, ObjectNode data) {
        String text = "id: " + id + "\nevent: " + event + "\ndata: " + Wire.write(data) + "\n\n";
        return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    }

    // ---- event loop side ----

    private void write(Buffer frame) {
        int length = frame.length();
        if (ended || clientGone || response.closed()) {
            buffered.addAndGet(-length);
            return;
        }
        sendHeadersOnce();
        long now = System.nanoTime();
        lastWriteNanos = now;
        if (pendingWrites++ == 0) {
            progressNanos = now;
        }
        response.write(frame).onComplete(ar -> {
            buffered.addAndGet(-length);
            pendingWrites--;
            progressNanos = System.nanoTime();
        });
    }

    private void sendHeadersOnce() {
        if (headersSent) {
            return;
        }
        headersSent = true;
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        long tickMs = Math.max(1, Math.min(heartbeatMs, TimeUnit.NANOSECONDS.toMillis(stallNanos) / 4));
        timer = vertx.setPeriodic(tickMs, id -> tick());
    }

    /** Drops a client that took none of its unread events for the stall timeout; pings an idle one. */
    private void tick() {
        if (ended || clientGone || response.closed()) {
            return;
        }
        long now = System.nanoTime();
        if (pendingWrites > 0 && now - progressNanos > stallNanos) {
            drop("it read nothing for " + TimeUnit.NANOSECONDS.toMillis(stallNanos) + " ms");
            return;
        }
        if (now - lastWriteNanos >= TimeUnit.MILLISECONDS.toNanos(heartbeatMs) - 1_000_000
                && !response.writeQueueFull()) {
            lastWriteNanos = now;
            response.write(": ping\n\n");
        }
    }

    /** Closes the connection of a client that does not keep up; its command is cancelled as if it had left. */
    private void drop(String why) {
        if (ended || clientGone) {
            return;
        }
        LOG.warn("Dropped the event stream of {} {}: {}", ctx.request().method().name(),
                Validation.printable(ctx.request().path()), why);
        metrics.streamDropped();
        clientWentAway();
        ctx.request().connection().close();
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (!clientGone && !response.closed()) {
            sendHeadersOnce();
            response.end();
        }
        cleanUp();
    }

    private void cleanUp() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        onClose.run();
    }

    /** The error code a stream failure is reported with, for metrics. */
    static String outcomeOf(Throwable t) {
        return t instanceof AgentKernelException e ? e.code().code() : ErrorCode.INTERNAL.code();
    }
}
