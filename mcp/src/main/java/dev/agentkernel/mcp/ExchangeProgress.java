package dev.agentkernel.mcp;

import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/** Sends progress as {@code notifications/progress} for the request's token; without a token, nothing is sent. */
final class ExchangeProgress implements ProgressSink {
    private static final Logger LOG = LoggerFactory.getLogger(ExchangeProgress.class);

    private final McpSyncServerExchange exchange;
    private final Object token;
    private final AtomicLong step = new AtomicLong();

    private ExchangeProgress(McpSyncServerExchange exchange, Object token) {
        this.exchange = exchange;
        this.token = token;
    }

    static ProgressSink of(McpSyncServerExchange exchange, Object progressToken) {
        return progressToken == null || exchange == null ? ProgressSink.NONE : new ExchangeProgress(exchange, progressToken);
    }

    @Override
    public synchronized void report(String message) {
        try {
            // Progress must increase with every notification (hence synchronized: output arrives on two threads).
            exchange.progressNotification(new ProgressNotification(token, (double) step.incrementAndGet(), null, message));
        } catch (RuntimeException e) {
            // A lost progress note must not fail the command it describes.
            LOG.debug("progress notification not sent: {}", e.toString());
        }
    }
}
