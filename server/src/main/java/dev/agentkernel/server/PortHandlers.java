package dev.agentkernel.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.AgentKernel;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The port operations: expose ({@code {"port": N}}), list, unexpose, and the signed browser URL, signed here (the
 * server holds the key); the proxy itself is {@link PortProxy}.
 */
final class PortHandlers {
    /** The validity of a signed URL when the request names none. */
    static final Duration DEFAULT_URL_TTL = Duration.ofHours(1);

    private final AgentKernel kernel;
    private final Calls calls;
    private final PortSigner signer;

    PortHandlers(AgentKernel kernel, Calls calls, PortSigner signer) {
        this.kernel = kernel;
        this.calls = calls;
        this.signer = signer;
    }

    void list(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> Wire.array(kernel.exposedPorts(name), p -> exposed(name, p)));
    }

    void expose(RoutingContext ctx) {
        String name = name(ctx);
        calls.respond(ctx, 200, () -> {
            Integer port = Calls.body(ctx).integer("port");
            if (port == null) {
                throw Validation.invalid("Invalid port: a number 1-65535 is required");
            }
            return exposed(name, kernel.exposePort(name, port));
        });
    }

    void unexpose(RoutingContext ctx) {
        String name = name(ctx);
        int port = port(ctx.pathParam("port"));
        calls.respond(ctx, 200, () -> {
            kernel.unexposePort(name, port);
            return Wire.text("Unexposed port " + port + " of sandbox " + name);
        });
    }

    /** {@code {"ttl":"1h"}} (optional; at most {@code ports.url_max_ttl}) → the URL, audited as {@code port_url_issued}. */
    void url(RoutingContext ctx) {
        String name = name(ctx);
        int port = port(ctx.pathParam("port"));
        // The URL names the port this request came in on: the one the caller reaches this server at.
        int serverPort = ctx.request().localAddress() == null ? kernel.config().server().port()
                : ctx.request().localAddress().port();
        calls.respond(ctx, 200, () -> {
            io.vertx.core.buffer.Buffer raw = ctx.body().buffer();
            String text = raw == null || raw.length() == 0 ? null : Calls.body(ctx).durationText("ttl");
            Duration ttl = text == null || text.isEmpty() ? DEFAULT_URL_TTL : Validation.duration("ttl", text);
            Duration max = kernel.config().ports().urlMaxTtl();
            if (ttl.compareTo(max) > 0) {
                throw Validation.invalid("Invalid ttl: at most " + max.toSeconds() + "s (ports.url_max_ttl)");
            }
            String domain = kernel.config().ports().previewDomain();
            String host = PortProxy.previewHostOf(name, port, domain);
            kernel.exposedPort(name, port); // NOT_FOUND when it is not exposed
            String uuid = kernel.get(name).uuid();
            Instant expiresAt = Instant.now().plus(ttl).truncatedTo(ChronoUnit.SECONDS);
            String token = signer.sign(name, port, uuid, expiresAt);
            kernel.auditPortUrl(name, port, expiresAt);
            ObjectNode n = Wire.MAPPER.createObjectNode();
            n.put("port", port);
            n.put("url", "http://" + host + ":" + serverPort + "/?" + ProxyHeaders.TOKEN + "=" + token);
            n.put("expires_at", expiresAt.toString());
            return n;
        });
    }

    private static ObjectNode exposed(String name, ExposedPort p) {
        ObjectNode n = Wire.MAPPER.createObjectNode();
        n.put("port", p.port());
        n.put("exposed_at", p.exposedAt().toString());
        n.put("path", "/sandboxes/" + name + "/ports/" + p.port() + "/");
        return n;
    }

    /** A port in a path: 1-65535, else {@code INVALID_REQUEST} naming it. */
    static int port(String text) {
        try {
            return Validation.port(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw Validation.invalid("Invalid port '" + Validation.printable(String.valueOf(text))
                    + "': must be a number 1-65535");
        }
    }

    private static String name(RoutingContext ctx) {
        return Validation.sandboxName(ctx.pathParam("name"));
    }
}
