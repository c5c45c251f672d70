package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;

/**
 * From a server's error answer (or a failed connection) to the {@link AgentKernelException} the same failure
 * raises in process: the answer's {@code code} when it has one, else its status read through the one
 * code↔status table ({@link ErrorCode#ofHttpStatus}).
 */
final class Errors {
    private Errors() {
    }

    /** Maps an error answer: the envelope's {@code error} text and {@code code}, else the status. */
    static AgentKernelException fromResponse(ObjectMapper mapper, int status, String body) {
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
        return AgentKernelException.of(ErrorCode.fromWire(code).orElseGet(() -> ErrorCode.ofHttpStatus(status)), message);
    }

    /** The failure an error event of a stream stands for. */
    static AgentKernelException fromEvent(String code, String message) {
        return AgentKernelException.of(ErrorCode.fromWire(code).orElse(ErrorCode.INTERNAL), message);
    }

    /**
     * A failure of the connection itself: no answer in time is {@code TIMEOUT}, anything else (refused, reset)
     * {@code BACKEND_UNAVAILABLE}, as when the engine behind an embedded kernel is down. Restores the interrupt
     * flag when it was an interrupt.
     *
     * @param server the server's base URL, or null where it is not known
     * @param what   the request, e.g. {@code GET sandboxes}
     */
    static AgentKernelException transport(URI server, String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        String at = server == null ? "" : " at " + server.toString().replaceAll("/$", "");
        if (e instanceof HttpTimeoutException) {
            return new AgentKernelException.OperationTimeoutException("no answer from the agentkernel server" + at
                    + " in time (" + what + ")", e);
        }
        String reason = e instanceof ConnectException ? "connection refused"
                : "the connection failed (" + e.getClass().getSimpleName() + ")";
        String detail = e.getMessage() == null || e.getMessage().isBlank() ? "" : ": " + e.getMessage();
        return new AgentKernelException.BackendUnavailableException("cannot reach the agentkernel server" + at + " ("
                + what + "): " + reason + detail, e);
    }

    /** The server answered something this client does not understand. */
    static AgentKernelException protocol(String message, Throwable cause) {
        return new AgentKernelException(ErrorCode.INTERNAL, "Unexpected answer from the agentkernel server: " + message,
                cause);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
