package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.SandboxInfo;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** {@code /health}, {@code /pool}, {@code /metrics} and {@code /openapi.yaml}. */
final class SystemHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(SystemHandlers.class);
    static final String OPENAPI_RESOURCE = "/openapi.yaml";

    private final Vertx vertx;
    private final AgentKernel kernel;
    private final Calls calls;
    private final ServerMetrics metrics;
    private final String version;
    private final byte[] openapi;

    SystemHandlers(Vertx vertx, AgentKernel kernel, Calls calls, ServerMetrics metrics, String version) {
        this.vertx = vertx;
        this.kernel = kernel;
        this.calls = calls;
        this.metrics = metrics;
        this.version = version;
        this.openapi = openApiDocument();
    }

    static byte[] openApiDocument() {
        try (InputStream in = SystemHandlers.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * 200 {@code {"status":"ok",...}} or 503 {@code {"status":"unavailable",...}}: never enveloped, as the seed
     * shows. Runs on the shared worker pool, outside admission control, so it answers while the server is busy.
     */
    void health(RoutingContext ctx) {
        vertx.<BackendHealth>executeBlocking(() -> {
            try {
                return kernel.health();
            } catch (RuntimeException e) {
                LOG.warn("health check failed: {}", e.getMessage());
                return BackendHealth.down(null, "backend health check failed");
            }
        }, false).onComplete(ar -> {
            BackendHealth h = ar.succeeded() ? ar.result() : BackendHealth.down(null, "backend health check failed");
            if (!h.available()) {
                ctx.response().putHeader("Retry-After", "5");
            }
            Responses.json(ctx.response(), h.available() ? 200 : 503, Wire.health(h, version, kernel.capabilities()));
        });
    }

    void pool(RoutingContext ctx) {
        calls.respond(ctx, 200, () -> Wire.pool(kernel.poolStats()));
    }

    /**
     * The Prometheus text. Reads the pool and lists the sandboxes (one engine call) on a worker, outside admission
     * control, so a busy server still reports; a figure that cannot be read is left out, never an error.
     */
    void metrics(RoutingContext ctx) {
        vertx.executeBlocking(() -> {
            PoolStats pool = null;
            List<SandboxInfo> sandboxes = null;
            try {
                pool = kernel.poolStats();
                sandboxes = kernel.list();
            } catch (RuntimeException e) {
                LOG.debug("metrics: figures left out: {}", e.getMessage());
            }
            return metrics.scrape(pool, sandboxes);
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
        });
    }

    void openapi(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "application/yaml; charset=utf-8")
                .end(io.vertx.core.buffer.Buffer.buffer(openapi));
    }
}
