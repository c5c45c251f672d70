package dev.agentkernel.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

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
 *   <li>Back-pressure: bytes handed to the connection but not yet flushed are bounded; when the client reads
 *       slowly, the producing (backend) thread waits, which in turn slows the command's output pipe.</li>
 *   <li>When the client goes away the {@link Cancellation} fires: the kernel kills the command and removes a
 *       temporary sandbox.</li>
 * </ul>
 */
final class SseStream implements RunListener {
    /** Bytes written but not yet flushed to the socket before producers have to wait. */
    static final int MAX_UNFLUSHED_BYTES = 256 * 1024;

    private final RoutingContext ctx;
    private final HttpServerResponse response;
    private final Context context;
    private final Vertx vertx;
    private final Cancellation cancellation;
    private final Semaphore unflushed = new Semaphore(MAX_UNFLUSHED_BYTES);
    private final Map<OutputChunk.Stream, Utf8ChunkDecoder> decoders = new EnumMap<>(OutputChunk.Stream.class);
    private final Runnable onClose;
    private final long heartbeatMs;

    // Producer side, guarded by 'this'.
    private long nextId = 1;
    private boolean doneSent;
    private boolean finished;

    // Event loop side only.
    private boolean headersSent;
    private boolean ended;
    private long heartbeatTimer = -1;
    private long lastWriteNanos = System.nanoTime();

    private volatile boolean clientGone;

    SseStream(RoutingContext ctx, Cancellation cancellation, Duration heartbeat, Runnable onClose) {
        this.ctx = ctx;
        this.response = ctx.response();
        this.vertx = ctx.vertx();
        this.context = vertx.getOrCreateContext();
        this.cancellation = cancellation;
        this.heartbeatMs = Math.max(1, heartbeat.toMillis());
        this.onClose = onClose;
        response.closeHandler(v -> clientWentAway());
        response.exceptionHandler(e -> clientWentAway());
    }

    private void clientWentAway() {
        if (!ended) {
            clientGone = true;
            cancellation.cancel();
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
        context.runOnContext(v -> {
            if (!headersSent && !clientGone) {
                FailureRenderer.send(response, r);
                ended = true;
                cleanUp();
            } else {
                write(frame, 0);
                end();
            }
        });
    }

    private synchronized void event(String name, ObjectNode data) {
        if (finished || clientGone) {
            return;
        }
        Buffer frame = frame(nextId++, name, data);
        int permits = Math.min(frame.length(), MAX_UNFLUSHED_BYTES);
        if (!acquire(permits)) {
            return;
        }
        context.runOnContext(v -> write(frame, permits));
    }

    /** Waits for room in the connection's buffer; gives up when the client is gone. */
    private boolean acquire(int permits) {
        try {
            while (!clientGone) {
                if (unflushed.tryAcquire(permits, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private static Buffer frame(long id, String event, ObjectNode data) {
        String text = "id: " + id + "\nevent: " + event + "\ndata: " + Wire.write(data) + "\n\n";
        return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    }

    // ---- event loop side ----

    private void write(Buffer frame, int permits) {
        if (ended || clientGone || response.closed()) {
            unflushed.release(permits);
            return;
        }
        sendHeadersOnce();
        lastWriteNanos = System.nanoTime();
        response.write(frame).onComplete(ar -> unflushed.release(permits));
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
        heartbeatTimer = vertx.setPeriodic(heartbeatMs, id -> heartbeat());
    }

    private void heartbeat() {
        if (ended || clientGone || response.closed()) {
            return;
        }
        if (System.nanoTime() - lastWriteNanos >= TimeUnit.MILLISECONDS.toNanos(heartbeatMs) - 1_000_000
                && !response.writeQueueFull()) {
            lastWriteNanos = System.nanoTime();
            response.write(": ping\n\n");
        }
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

    private boolean cleanedUp;

    private void cleanUp() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
        }
        onClose.run();
    }

    /** The error code a stream failure is reported with, for metrics. */
    static String outcomeOf(Throwable t) {
        return t instanceof AgentKernelException e ? e.code().code() : ErrorCode.INTERNAL.code();
    }
}
