package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.OptionalInt;

/**
 * The one place where failures become HTTP answers: the status from {@link HttpStatuses}, the envelope
 * {@code {"success":false,"error","code"}}, {@code Retry-After} where retrying helps. The message is the
 * exception's own for our errors (written for humans, free of paths and keys) and a generic text for anything
 * else, whose details go to the server log only.
 */
final class FailureRenderer {
    private static final Logger LOG = LoggerFactory.getLogger(FailureRenderer.class);

    private FailureRenderer() {
    }

    /** A rendered failure: status, body and extra headers. */
    record Rendered(int status, ErrorCode code, String message, Map<String, String> headers) {
    }

    static Rendered render(Throwable failure, int statusHint) {
        if (failure instanceof AgentKernelException e) {
            ErrorCode code = e.code();
            int status = HttpStatuses.status(code);
            if (status >= 500 && code != ErrorCode.BACKEND_UNAVAILABLE) {
                LOG.warn("request failed: {}", e.getMessage(), e);
            }
            OptionalInt retry = HttpStatuses.retryAfterSeconds(code);
            return new Rendered(status, code, e.getMessage(),
                    retry.isPresent() ? Map.of("Retry-After", String.valueOf(retry.getAsInt())) : Map.of());
        }
        if (failure instanceof HttpFailure e) {
            return new Rendered(e.status(), e.code(), e.getMessage(), e.headers());
        }
        int status = failure instanceof HttpException h ? h.getStatusCode() : statusHint;
        if (status < 400) {
            status = 500;
        }
        ErrorCode code = HttpStatuses.codeOf(status);
        String message = switch (status) {
            case 400 -> "Invalid request";
            case 404 -> "Not found";
            case 413 -> "Request body too large";
            default -> "Internal server error";
        };
        if (status >= 500) {
            LOG.error("internal error while serving a request", failure);
        }
        return new Rendered(status, code, message, Map.of());
    }

    /**
     * Requests Netty could not even decode (request line or headers too long, malformed syntax, a NUL in the
     * target) never reach the router; they get the same envelope here instead of Vert.x's bare status. The
     * server closes the connection after this response.
     */
    static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
        Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        Rendered r;
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            r = new Rendered(414, ErrorCode.INVALID_REQUEST, "Request line too long", Map.of());
        } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            r = new Rendered(431, ErrorCode.INVALID_REQUEST, "Request headers too large", Map.of());
        } else {
            r = new Rendered(400, ErrorCode.INVALID_REQUEST, "Malformed HTTP request", Map.of());
        }
        request.response().putHeader(RequestIds.HEADER, RequestIds.of(request).requestId());
        send(request.response(), r);
    }

    /** Failure handler of the router: every {@code ctx.fail(...)} ends here. */
    static void handle(RoutingContext ctx) {
        Rendered r = render(ctx.failure(), ctx.statusCode());
        send(ctx.response(), r);
    }

    static void send(HttpServerResponse response, Rendered r) {
        if (response.headWritten()) {
            // A stream already started: its own error event was sent; nothing more can be said here.
            if (!response.ended()) {
                response.end();
            }
            return;
        }
        r.headers().forEach(response::putHeader);
        ObjectNode body = Wire.error(r.message(), r.code());
        String requestId = response.headers().get(RequestIds.HEADER);
        if (requestId != null) {
            body.put("request_id", requestId); // an extension beside the seed's {"success","error"}
        }
        Responses.json(response, r.status(), body);
    }
}
