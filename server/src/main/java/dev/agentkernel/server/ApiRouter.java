package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.Validation;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.PlatformHandler;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Builds the router from {@link ApiRoute}: the guards every request passes (Host, CORS, API key, dot segments),
 * then per operation the content-type check, the size-limited body handler and the operation's handler; one
 * failure handler renders every error; unknown paths get 404 and wrong methods 405 with {@code Allow}.
 */
final class ApiRouter {
    static final String OPERATION_KEY = "agentkernel.operation";

    private ApiRouter() {
    }

    /** What the router needs besides the handlers. */
    record Guards(ConnectionGuard connections, HostAllowlist hosts, ApiKeyCheck apiKey, List<String> corsOrigins, long maxBodyBytes,
                  ServerMetrics metrics, AccessLog accessLog, BiFunction<RoutingContext, String, Future<?>> refusalAudit) {
    }

    static Router create(Vertx vertx, Guards guards, CommandHandlers commands, SandboxHandlers sandboxes,
                         SystemHandlers system, StoreHandlers stores, PtyHandler terminals, PortHandlers ports,
                         PortProxy proxy) {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            long started = System.nanoTime();
            RequestIds.assign(ctx);
            if (guards.connections() != null) {
                guards.connections().requestStarted(ctx.request());
                ctx.addEndHandler(v -> guards.connections().requestEnded(ctx.request()));
            }
            ctx.addEndHandler(v -> {
                ApiRoute op = ctx.get(OPERATION_KEY);
                String operation = op == null ? "unmatched" : op.operationId();
                long took = System.nanoTime() - started;
                int status = ctx.response().getStatusCode();
                guards.metrics().request(operation, ctx.request().method().name(), status, took);
                guards.accessLog().log(ctx, operation, status, took);
            });
            List<String> hosts = ctx.request().headers().getAll("Host");
            if (hosts.size() == 1) {
                Optional<PortProxy.Preview> preview = proxy.preview(hosts.get(0));
                if (preview.isPresent()) {
                    // A sandbox's own origin: only its port is reachable there, never an API route.
                    ctx.put(OPERATION_KEY, ApiRoute.proxyRoute(ctx.request().method()));
                    RequestChecks.noDotDot(ctx.request().path());
                    proxy.preview(ctx, preview.get());
                    return;
                }
            }
            guards.hosts().check(hosts);
            ctx.next();
        });
        if (!guards.corsOrigins().isEmpty()) {
            router.route().handler(CorsHandler.create()
                    .addOrigins(guards.corsOrigins())
                    .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE))
                    .allowedHeaders(Set.of("Content-Type", "X-API-Key", "Authorization"))
                    .maxAgeSeconds(600));
        }
        router.route().handler(ctx -> {
            Optional<String> refusal = guards.apiKey().refusal(ctx.request().headers());
            if (refusal.isPresent()) {
                // The refusal is on disk before the client hears of it.
                guards.refusalAudit().apply(ctx, refusal.get()).onComplete(ar -> ctx.fail(ApiKeyCheck.failure()));
                return;
            }
            RequestChecks.noDotDot(ctx.request().path());
            ctx.next();
        });

        BodyHandler body = BodyHandler.create(false).setBodyLimit(guards.maxBodyBytes()).setPreallocateBodyBuffer(false);
        for (ApiRoute op : ApiRoute.values()) {
            Route route = router.route(op.method(), op.vertxPath());
            route.handler(new OperationCheck(op));
            if (op.jsonBody()) {
                route.handler(body);
            }
            route.handler(handler(op, commands, sandboxes, system, stores, terminals, ports, proxy));
        }

        router.route().failureHandler(FailureRenderer::handle);
        router.errorHandler(404, ctx -> FailureRenderer.send(ctx.response(), new FailureRenderer.Rendered(404,
                ErrorCode.NOT_FOUND, "No such route: " + ctx.request().method().name() + " "
                + Validation.printable(ctx.request().path()), Map.of())));
        router.errorHandler(405, ctx -> {
            String allow = String.join(", ", ApiRoute.allowedMethods(ctx.normalizedPath()));
            FailureRenderer.send(ctx.response(), new FailureRenderer.Rendered(405, ErrorCode.INVALID_REQUEST,
                    "Method " + ctx.request().method().name() + " is not allowed on this route; allowed: " + allow,
                    Map.of("Allow", allow)));
        });
        return router;
    }

    /**
     * Marks the request with its operation and checks the body's media type before the body is read. A platform
     * handler, because Vert.x Web runs those before the body handler on a route.
     */
    private record OperationCheck(ApiRoute op) implements PlatformHandler {
        @Override
        public void handle(RoutingContext ctx) {
            ctx.put(OPERATION_KEY, op);
            if (!op.proxied() && (op.jsonBody() || RequestChecks.mayCarryBody(op.method()))) {
                RequestChecks.jsonContentType(ctx.request(), op.jsonBody() && !op.bodyOptional());
            }
            ctx.next();
        }
    }

    /** Exhaustive: a new operation without a handler does not compile. */
    private static Handler<RoutingContext> handler(ApiRoute op, CommandHandlers c, SandboxHandlers s, SystemHandlers sys,
                                                   StoreHandlers st, PtyHandler pty, PortHandlers p,
                                                   PortProxy px) {
        return switch (op) {
            case HEALTH -> sys::health;
            case RUN -> c::run;
            case RUN_STREAM -> c::runStream;
            case BATCH_RUN -> c::batch;
            case LIST_SANDBOXES -> s::list;
            case CREATE_SANDBOX -> s::create;
            case GET_SANDBOX -> s::get;
            case REMOVE_SANDBOX -> s::remove;
            case EXEC -> c::exec;
            case EXEC_STREAM -> c::execStream;
            case STOP_SANDBOX -> s::stop;
            case START_SANDBOX -> s::start;
            case READ_FILE -> s::readFile;
            case WRITE_FILE -> s::writeFile;
            case DELETE_FILE -> s::deleteFile;
            case SANDBOX_LOGS -> s::logs;
            case OPEN_PTY -> pty::open;
            case LIST_SNAPSHOTS -> st::listSnapshots;
            case TAKE_SNAPSHOT -> st::takeSnapshot;
            case GET_SNAPSHOT -> st::getSnapshot;
            case DELETE_SNAPSHOT -> st::deleteSnapshot;
            case RESTORE_SNAPSHOT -> st::restoreSnapshot;
            case LIST_VOLUMES -> st::listVolumes;
            case CREATE_VOLUME -> st::createVolume;
            case REMOVE_VOLUME -> st::removeVolume;
            case LIST_SECRETS -> st::listSecrets;
            case SET_SECRET -> st::setSecret;
            case REMOVE_SECRET -> st::removeSecret;
            case POOL -> sys::pool;
            case METRICS -> sys::metrics;
            case OPENAPI -> sys::openapi;
            case GET_SANDBOX_BY_UUID -> s::getByUuid;
            case EXTEND_SANDBOX -> s::extend;
            case WRITE_FILES -> s::writeFiles;
            case EXEC_DETACHED -> s::execDetached;
            case LIST_DETACHED -> s::detachedList;
            case GET_DETACHED -> s::detachedStatus;
            case DETACHED_LOGS -> s::detachedLogs;
            case KILL_DETACHED -> s::detachedKill;
            case LIST_PORTS -> p::list;
            case EXPOSE_PORT -> p::expose;
            case UNEXPOSE_PORT -> p::unexpose;
            case PORT_URL -> p::url;
            case PROXY_GET, PROXY_HEAD, PROXY_POST, PROXY_PUT, PROXY_PATCH, PROXY_DELETE, PROXY_OPTIONS -> px::path;
        };
    }
}
