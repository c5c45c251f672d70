package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;

/** The one table from a server error answer (or a transport failure) to the client's exceptions. */
final class Errors {
    private Errors() {
    }

    /** Maps an error answer: the envelope's {@code error} text and {@code code}, the status, {@code Retry-After}. */
    static AgentKernelClientException fromResponse(ObjectMapper mapper, int status, String body,
                                                   Optional<String> retryAfter) {
        String message = null;
        String code = null;
        try {
            JsonNode node = body == null || body.isBlank() ? null : mapper.readTree(body);
            if (node != null && node.isObject()) {
                message = text(node, "error");
                if (message == null) {
                    message = text(node, "message");
                }
                code = text(node, "code");
            }
        } catch (IOException notJson) {
            // Not our envelope (e.g. a proxy's page): keep the status and a short piece of the body.
        }
        if (message == null) {
            String snippet = body == null ? "" : body.strip();
            message = "HTTP " + status + (snippet.isEmpty() ? "" : ": " + abbreviate(snippet));
        }
        return of(status, code, message, retryAfter.flatMap(Errors::parseRetryAfter).orElse(null));
    }

    static AgentKernelClientException of(int status, String code, String message, Duration retryAfter) {
        return switch (status) {
            case 400, 413 -> new ValidationException(status, code, message);
            case 401 -> new UnauthorizedException(status, code, message);
            case 404 -> new NotFoundException(status, code, message);
            case 409 -> new ConflictException(status, code, message);
            case 429, 503 -> new UnavailableException(status, code, message, retryAfter);
            default -> new AgentKernelClientException(status, code, message);
        };
    }

    /** Wraps a failure of the connection itself; restores the interrupt flag when it was an interrupt. */
    static AgentKernelClientException transport(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        if (e instanceof HttpTimeoutException) {
            return new AgentKernelClientException(AgentKernelClientException.NO_STATUS,
                    AgentKernelClientException.CODE_TIMEOUT, what + ": no answer in time (" + e.getMessage() + ")", e);
        }
        String reason = e instanceof ConnectException ? "cannot connect" : e.getClass().getSimpleName();
        String detail = e.getMessage() == null ? "" : ": " + e.getMessage();
        return new AgentKernelClientException(AgentKernelClientException.NO_STATUS,
                AgentKernelClientException.CODE_NETWORK, what + ": " + reason + detail, e);
    }

    static AgentKernelClientException protocol(String message, Throwable cause) {
        return new AgentKernelClientException(AgentKernelClientException.NO_STATUS,
                AgentKernelClientException.CODE_PROTOCOL, message, cause);
    }

    private static Optional<Duration> parseRetryAfter(String value) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value.trim())));
        } catch (NumberFormatException httpDate) {
            return Optional.empty(); // the HTTP-date form is not used by our server
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
