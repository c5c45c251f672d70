package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.CallContext;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two ways into a sandbox's exposed port. The path way, {@code /sandboxes/{name}/ports/{port}/...} with the API
 * key, for programs; its answers carry {@code Content-Security-Policy: sandbox} because they share the API's
 * origin. The browser way, a host of its own per sandbox and port ({@code PORT-NAME.PREVIEW_DOMAIN}) reached with
 * a signed URL: the token in the query is exchanged for a host-only cookie and a redirect to the same URL without
 * it; later requests carry the cookie. Such a host reaches only the proxy, never an API route, and is recognised
 * before the Host allowlist (which stays closed for every other name). Every check is made on a worker (they read
 * the sandbox's state); the bytes are relayed by a {@link PortRelay}.
 */
final class PortProxy {
    private final AgentKernel kernel;
    private final BlockingCalls workers;
    private final ConnectionGuard connections;
    private final PortSigner signer;
    private final ApiKeyCheck apiKey;
    private final Pattern previewHost;
    /** Writes to ports wait for the sandbox's window: never on an event loop. Daemon threads that end when idle. */
    private final ExecutorService writes = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agentkernel-port-write");
        t.setDaemon(true);
        return t;
    });

    PortProxy(AgentKernel kernel, BlockingCalls workers, ConnectionGuard connections, PortSigner signer,
              ApiKeyCheck apiKey, String previewDomain) {
        this.kernel = kernel;
        this.workers = workers;
        this.connections = connections;
        this.signer = signer;
        this.apiKey = apiKey;
        this.previewHost = Pattern.compile("([0-9]{1,5})-([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\\."
                + Pattern.quote(previewDomain.toLowerCase(Locale.ROOT)));
    }

    /** A sandbox and port a preview host names. */
    record Preview(String name, int port) {
    }

    /** The sandbox and port of a preview host ({@code 8000-web.localhost:18888}), if the Host header is one. */
    Optional<Preview> preview(String hostHeader) {
        if (hostHeader == null) {
            return Optional.empty();
        }
        Matcher m = previewHost.matcher(HostAllowlist.hostName(hostHeader));
        if (!m.matches()) {
            return Optional.empty();
        }
        int port = Integer.parseInt(m.group(1));
        return port >= 1 && port <= 65535 ? Optional.of(new Preview(m.group(2), port)) : Optional.empty();
    }

    /** The host of a sandbox's port, or {@code INVALID_REQUEST} when the name is not a DNS label. */
    static String previewHostOf(String name, int port, String previewDomain) {
        if (!name.matches("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")) {
            throw Validation.invalid("Sandbox '" + name + "' cannot have a browser URL: its name is not a DNS label "
                    + "(lower-case letters, digits and inner hyphens)");
        }
        return port + "-" + name + "." + previewDomain;
    }

    // ---- the path way

    /** {@code /sandboxes/{name}/ports/{port}/{rest}}: forwarded as {@code /{rest}} with the query. */
    void path(RoutingContext ctx) {
        String name = Validation.sandboxName(ctx.pathParam("name"));
        int port = PortHandlers.port(ctx.pathParam("port"));
        HttpServerRequest request = ctx.request();
        request.pause();
        String rest = rest(request.path());
        open(ctx, name, port, ProxyHeaders.target(rest, request.query()), true, true, null);
    }

    /** What follows {@code /sandboxes/NAME/ports/PORT} in a raw path (from its fifth slash, still encoded), or "/". */
    static String rest(String rawPath) {
        int at = -1;
        for (int slashes = 0; slashes < 5; slashes++) {
            at = rawPath.indexOf('/', at + 1);
            if (at < 0) {
                return "/";
            }
        }
        return rawPath.substring(at);
    }

    // ---- the browser way

    /** A request to a preview host: the token exchange, or the proxy with the cookie. Never an API route. */
    void preview(RoutingContext ctx, Preview p) {
        HttpServerRequest request = ctx.request();
        request.pause();
        String fromQuery = request.getParam(ProxyHeaders.TOKEN);
        CallContext caller = RequestIds.of(ctx);
        if (fromQuery != null) {
            workers.submit(caller, () -> {
                checkToken(fromQuery, p);
                return fromQuery;
            }).onComplete(ar -> {
                if (ar.failed()) {
                    ctx.fail(ar.cause());
                    return;
                }
                Instant expiry = PortSigner.expiryOf(fromQuery);
                long maxAge = Math.max(1, Duration.between(Instant.now(), expiry).toSeconds());
                HttpServerResponse response = ctx.response();
                response.setStatusCode(302)
                        .putHeader("Location", ProxyHeaders.target(sameHostPath(request.path()), request.query()))
                        .putHeader("Set-Cookie", ProxyHeaders.TOKEN + "=" + fromQuery + "; Max-Age=" + maxAge
                                + "; Path=/; HttpOnly; SameSite=Lax")
                        .putHeader("Cache-Control", "no-store")
                        .end();
            });
            return;
        }
        String cookie = ProxyHeaders.tokenCookie(request.headers());
        boolean stripAuthorization = apiKey.carriesKey(request.headers().get("Authorization"));
        open(ctx, p.name(), p.port(), ProxyHeaders.target(request.path(), request.query()), false,
                stripAuthorization, () -> checkToken(cookie, p));
    }

    /** A path that stays on this host as a redirect: {@code //evil.example/x} would leave it (scheme-relative). */
    static String sameHostPath(String path) {
        return path == null ? "/" : path.replaceFirst("^/+", "/");
    }

    /** On a worker: the token is this sandbox's (by its uuid) and port's, unexpired, and the port still exposed. */
    private void checkToken(String token, Preview p) {
        if (token == null || token.isEmpty()) {
            signer.check(token, p.name(), p.port(), null, Instant.now()); // says what is missing
        }
        String uuid;
        try {
            Validation.sandboxName(p.name());
            uuid = kernel.get(p.name()).uuid();
        } catch (AgentKernelException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
            // Whether a sandbox exists is not for someone without a valid token to learn.
            throw HttpFailure.of(ErrorCode.FORBIDDEN, "The signed URL is not valid for this sandbox and port");
        }
        signer.check(token, p.name(), p.port(), uuid, Instant.now());
        try {
            kernel.exposedPort(p.name(), p.port());
        } catch (AgentKernelException.NotFoundException e) {
            throw HttpFailure.of(ErrorCode.FORBIDDEN, "Port " + p.port() + " of sandbox '" + p.name()
                    + "' is no longer exposed");
        }
    }

    // ---- both ways

    /**
     * Checks (on a worker: {@code check}, then the kernel's own: exposed, running, the connection limit), connects,
     * and hands the exchange to a {@link PortRelay}; a failure before any byte is an ordinary error answer.
     */
    private void open(RoutingContext ctx, String name, int port, String target, boolean pathWay,
                      boolean stripAuthorization, Runnable check) {
        HttpServerRequest request = ctx.request();
        // h2c is an upgrade of this hop (clients offer it unasked): never passed on, the request stays HTTP/1.1.
        String upgradeTo = request.getHeader("Upgrade");
        boolean upgrade = upgradeTo != null && !upgradeTo.trim().equalsIgnoreCase("h2c")
                && request.headers().getAll("Connection").stream()
                .anyMatch(c -> c.toLowerCase(Locale.ROOT).contains("upgrade"));
        String te = request.getHeader("Transfer-Encoding");
        boolean chunked = !upgrade && request.getHeader("Content-Length") == null && te != null
                && te.toLowerCase(Locale.ROOT).contains("chunked");
        byte[] head = ProxyHeaders.requestHead(request, target, port, stripAuthorization, upgrade, chunked);
        PortRelay relay = new PortRelay(ctx, Vertx.currentContext(), writes, pathWay,
                "port " + port + " of sandbox '" + name + "'", () -> connections.upgraded(request.connection()));
        workers.submit(RequestIds.of(ctx), () -> {
            if (check != null) {
                check.run();
            }
            return kernel.openPort(name, port, relay);
        }).onComplete(ar -> {
            if (ar.succeeded()) {
                relay.attach(ar.result(), head, chunked, upgrade);
            } else {
                relay.refuse(ar.cause());
            }
        });
    }
}
