package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.CallContext;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.Validation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The agentkernel HTTP API on top of an {@link AgentKernel}. Start it with {@link #start}; {@link #close()} shuts
 * it down gracefully. The kernel belongs to the caller, who closes it after the server (that drains the warm pool
 * and removes temporary sandboxes).
 */
public final class AgentKernelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentKernelServer.class);

    private final Vertx vertx;
    private final HttpServer http;
    private final BlockingCalls workers;
    private final CancelExecutor cancels;
    private final CommandHandlers commands;
    private final ServerOptions options;
    private final AgentKernel kernel;
    private final ServerMetrics metrics;
    private final AccessLog accessLog;
    private boolean closed;

    private AgentKernelServer(Vertx vertx, HttpServer http, BlockingCalls workers, CancelExecutor cancels,
                              CommandHandlers commands, ServerOptions options, AgentKernel kernel,
                              ServerMetrics metrics, AccessLog accessLog) {
        this.vertx = vertx;
        this.http = http;
        this.workers = workers;
        this.cancels = cancels;
        this.commands = commands;
        this.options = options;
        this.kernel = kernel;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /**
     * Starts listening and returns once the port is bound.
     *
     * @throws AgentKernelException ({@code conflict}) when the address cannot be bound
     */
    public static AgentKernelServer start(AgentKernel kernel, ServerOptions options) {
        if (ApiWall.check(options)) {
            ApiWall.warn(options);
        }
        Vertx vertx = Vertx.vertx(vertxOptions(options));
        CancelExecutor cancels = new CancelExecutor();
        ServerMetrics metrics = new ServerMetrics();
        AccessLog accessLog = new AccessLog();
        metrics.bindAccessLog(accessLog::dropped);
        try {
            BlockingCalls workers = new BlockingCalls(vertx, options.workerThreads(), options.maxInFlight());
            metrics.bindInFlight(workers::inFlight);
            Calls calls = new Calls(workers);
            CommandHandlers commands = new CommandHandlers(kernel, calls, metrics, cancels,
                    SseStream.Limits.of(options));
            SandboxHandlers sandboxes = new SandboxHandlers(kernel, calls);
            SystemHandlers system = new SystemHandlers(vertx, kernel, calls, metrics, version());
            ConnectionGuard connections = new ConnectionGuard(vertx, options.idleTimeout());
            ApiRouter.Guards guards = new ApiRouter.Guards(connections, new HostAllowlist(options.host(), options.allowedHosts()),
                    new ApiKeyCheck(options.apiKey()), options.corsOrigins(), options.maxBodyBytes(), metrics, accessLog,
                    (ctx, reason) -> auditRefusal(vertx, kernel, ctx, reason));
            PtyHandler terminals = new PtyHandler(kernel, workers, connections, options.streamBufferBytes());
            PortSigner signer = new PortSigner(options.apiKey());
            PortProxy proxy = new PortProxy(kernel, workers, connections, signer, guards.apiKey(),
                    kernel.config().ports().previewDomain());
            Router router = ApiRouter.create(vertx, guards, commands, sandboxes, system, new StoreHandlers(kernel, calls),
                    terminals, new PortHandlers(kernel, calls, signer), proxy);
            HttpServerOptions httpOptions = new HttpServerOptions()
                    .setHost(options.host())
                    .setPort(options.port())
                    // HTTP/1.1 only: SSE and the graceful close are simplest there, and no client needs h2c.
                    .setHttp2ClearTextEnabled(false)
                    .setMaxInitialLineLength(8192)
                    .setMaxHeaderSize(16 * 1024)
                    .setCompressionSupported(false);
            HttpServer http = await(vertx.createHttpServer(httpOptions)
                    .connectionHandler(connections::opened)
                    .invalidRequestHandler(FailureRenderer::invalidRequest).requestHandler(router).listen()
                    .toCompletionStage().toCompletableFuture(), Duration.ofSeconds(30));
            LOG.info("agentkernel API listening on http://{}:{} (API key {})", options.host(), http.actualPort(),
                    options.apiKey() == null ? "not required" : "required");
            kernel.recordMetrics(metrics);
            return new AgentKernelServer(vertx, http, workers, cancels, commands, options, kernel, metrics, accessLog);
        } catch (RuntimeException e) {
            metrics.close();
            accessLog.close();
            vertx.close();
            cancels.close();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new AgentKernelException(ErrorCode.CONFLICT, "Cannot listen on " + options.host() + ":" + options.port()
                    + ": " + cause.getMessage(), e);
        }
    }

    /**
     * Two event loops (they only move bytes: every kernel call runs on a worker), and the blocked-thread warning at
     * {@link ServerOptions#blockedLoopWarning}, checked four times as often, with the blocked thread's stack.
     */
    static VertxOptions vertxOptions(ServerOptions options) {
        long warnMs = options.blockedLoopWarning().toMillis();
        return new VertxOptions().setEventLoopPoolSize(2)
                .setMaxEventLoopExecuteTime(warnMs).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(warnMs).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(Math.max(10, Math.min(1000, warnMs / 4)))
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
    }

    /** The server's Vert.x instance, for tests that need to act on its event loops. */
    Vertx vertx() {
        return vertx;
    }

    /** The bound port (useful when the options asked for port 0). */
    public int port() {
        return http.actualPort();
    }

    public String host() {
        return options.host();
    }

    /**
     * Graceful shutdown: stop accepting connections, let running requests finish for up to the shutdown grace,
     * then cancel the streams still open (their commands are killed) and stop the worker pool and event loops.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration grace = options.shutdownGrace();
        try {
            await(http.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS).toCompletionStage().toCompletableFuture(),
                    grace.plusSeconds(10));
        } catch (RuntimeException e) {
            LOG.warn("HTTP shutdown did not complete cleanly: {}", e.getMessage());
        }
        commands.cancelAll();
        try {
            if (!workers.awaitIdle(Duration.ofSeconds(10))) {
                LOG.warn("{} kernel calls still running at shutdown", workers.inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.close();
        kernel.recordMetrics(KernelMetrics.NONE); // the kernel outlives this server
        metrics.close();
        accessLog.close();
        try {
            await(vertx.close().toCompletionStage().toCompletableFuture(), Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            LOG.warn("Vert.x did not close cleanly: {}", e.getMessage());
        }
        cancels.close(); // after the event loops: no close handler can reach it any more
    }

    /** Records an {@code auth_failed} audit event (blocking write, so on a worker); the key is never included. */
    private static Future<Void> auditRefusal(Vertx vertx, AgentKernel kernel, RoutingContext ctx, String reason) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", reason);
        details.put("route", ctx.request().method().name() + " " + Validation.printable(ctx.request().path()));
        details.put("caller", ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress());
        CallContext caller = RequestIds.of(ctx);
        return vertx.executeBlocking(() -> {
            try (CallContext.Scope ignored = caller.enter()) {
                kernel.auditRefusal("auth_failed", null, details);
            } catch (RuntimeException e) {
                LOG.warn("could not audit a refused request: {}", e.getMessage());
            }
            return null;
        }, false);
    }

    static String version() {
        String v = AgentKernelServer.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f, Duration max) {
        try {
            return f.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + max, e);
        }
    }
}
