package dev.agentkernel.server;

import dev.agentkernel.api.Validation;
import dev.agentkernel.core.CallContext;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * One line per answered request on the logger {@code agentkernel.access} (INFO; turn it off with
 * {@code -Dorg.slf4j.simpleLogger.log.agentkernel.access=off}): method, path (control characters escaped),
 * operation, status, duration, bytes sent, request id, trace parent, caller address — as key-value pairs, so the
 * JSON log format has them as fields.
 *
 * <p>The event loop only queues the line; a thread of its own writes it. A log destination that stalls (a full pipe
 * on stderr) then costs lines, counted in {@link #dropped()}, never a blocked event loop.
 */
final class AccessLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("agentkernel.access");
    static final int QUEUE = 8192;

    private record Line(String method, String path, String operation, int status, long nanos, long bytes,
                        CallContext call, String remote) {
    }

    private final BlockingQueue<Line> queue = new ArrayBlockingQueue<>(QUEUE);
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    private volatile boolean closed;

    AccessLog() {
        writer = new Thread(this::drain, "agentkernel-access-log");
        writer.setDaemon(true);
        if (LOG.isInfoEnabled()) {
            writer.start();
        }
    }

    /** Queues the line of an answered request (event loop; never blocks). */
    void log(RoutingContext ctx, String operation, int status, long nanos) {
        if (!LOG.isInfoEnabled() || closed) {
            return;
        }
        Line line = new Line(ctx.request().method().name(), ctx.request().path(), operation, status, nanos,
                ctx.response().bytesWritten(), RequestIds.of(ctx),
                ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress());
        if (!queue.offer(line)) {
            dropped.increment();
        }
    }

    /** Lines not written because the log did not keep up. */
    long dropped() {
        return dropped.sum();
    }

    private void drain() {
        while (!closed || !queue.isEmpty()) {
            Line l;
            try {
                l = queue.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (l != null) {
                write(l);
            }
        }
    }

    private static void write(Line l) {
        LoggingEventBuilder e = LOG.atInfo()
                .addKeyValue("method", l.method())
                .addKeyValue("path", Validation.printable(l.path()))
                .addKeyValue("operation", l.operation())
                .addKeyValue("status", l.status())
                .addKeyValue("duration_ms", Math.round(l.nanos() / 10_000.0) / 100.0)
                .addKeyValue("bytes", l.bytes())
                .addKeyValue("request_id", l.call().requestId());
        if (l.call().traceparent() != null) {
            e = e.addKeyValue("traceparent", l.call().traceparent());
        }
        e.addKeyValue("remote", l.remote()).log("request");
    }

    /** Writes what is queued (up to 5 s) and stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
