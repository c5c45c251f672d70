package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;

import java.util.Map;

/**
 * A refusal at the HTTP level whose status is not the table's for its code (405, 415), or that carries headers
 * ({@code Allow}). Rendered in the envelope by {@link FailureRenderer} like every other error.
 */
final class HttpFailure extends RuntimeException {
    private final int status;
    private final ErrorCode code;
    private final Map<String, String> headers;

    HttpFailure(int status, ErrorCode code, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    HttpFailure(int status, ErrorCode code, String message) {
        this(status, code, message, Map.of());
    }

    static HttpFailure of(ErrorCode code, String message) {
        return new HttpFailure(HttpStatuses.status(code), code, message);
    }

    int status() {
        return status;
    }

    ErrorCode code() {
        return code;
    }

    Map<String, String> headers() {
        return headers;
    }
}
