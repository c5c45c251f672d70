package dev.agentkernel.server;

import dev.agentkernel.api.Validation;
import dev.agentkernel.core.CallContext;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per answered request on the logger {@code agentkernel.access} (INFO; turn it off with
 * {@code -Dorg.slf4j.simpleLogger.log.agentkernel.access=off}): method, path (control characters escaped),
 * operation, status, duration, bytes sent, request id, trace parent, caller address — as key-value pairs, so the
 * JSON log format has them as fields.
 */
final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("agentkernel.access");

    private AccessLog() {
    }

    static void log(RoutingContext ctx, String operation, int status, long nanos) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        CallContext call = RequestIds.of(ctx);
        LoggingEventBuilder e = LOG.atInfo()
                .addKeyValue("method", ctx.request().method().name())
                .addKeyValue("path", Validation.printable(ctx.request().path()))
                .addKeyValue("operation", operation)
                .addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(nanos / 10_000.0) / 100.0)
                .addKeyValue("bytes", ctx.response().bytesWritten())
                .addKeyValue("request_id", call.requestId());
        if (call.traceparent() != null) {
            e = e.addKeyValue("traceparent", call.traceparent());
        }
        e.addKeyValue("remote", ctx.request().remoteAddress() == null ? "unknown"
                : ctx.request().remoteAddress().hostAddress()).log("request");
    }
}
