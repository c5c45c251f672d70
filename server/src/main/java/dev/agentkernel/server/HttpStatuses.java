package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;

import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalInt;

/** The one table from {@link ErrorCode} to HTTP status, and which statuses tell the client when to retry. */
final class HttpStatuses {
    private static final Map<ErrorCode, Integer> STATUS = new EnumMap<>(ErrorCode.class);
    private static final Map<ErrorCode, Integer> RETRY_AFTER_SECONDS = new EnumMap<>(ErrorCode.class);

    static {
        STATUS.put(ErrorCode.INVALID_REQUEST, 400);
        STATUS.put(ErrorCode.UNAUTHORIZED, 401);
        STATUS.put(ErrorCode.FORBIDDEN, 403);
        STATUS.put(ErrorCode.NOT_FOUND, 404);
        STATUS.put(ErrorCode.CONFLICT, 409);
        STATUS.put(ErrorCode.SANDBOX_BROKEN, 409); // the sandbox's state, not the server's: retrying cannot help
        STATUS.put(ErrorCode.PAYLOAD_TOO_LARGE, 413);
        STATUS.put(ErrorCode.BUSY, 429);
        STATUS.put(ErrorCode.INTERNAL, 500);
        STATUS.put(ErrorCode.UNSUPPORTED, 501);
        STATUS.put(ErrorCode.BACKEND_UNAVAILABLE, 503);
        STATUS.put(ErrorCode.TIMEOUT, 504);
        RETRY_AFTER_SECONDS.put(ErrorCode.BUSY, 1);
        RETRY_AFTER_SECONDS.put(ErrorCode.BACKEND_UNAVAILABLE, 5);
        for (ErrorCode code : ErrorCode.values()) {
            if (!STATUS.containsKey(code)) {
                throw new ExceptionInInitializerError("no HTTP status for " + code);
            }
        }
    }

    private HttpStatuses() {
    }

    static int status(ErrorCode code) {
        return STATUS.get(code);
    }

    static OptionalInt retryAfterSeconds(ErrorCode code) {
        Integer s = RETRY_AFTER_SECONDS.get(code);
        return s == null ? OptionalInt.empty() : OptionalInt.of(s);
    }

    /** The error code a bare HTTP status (from the router or the body handler) stands for. */
    static ErrorCode codeOf(int status) {
        return switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404 -> ErrorCode.NOT_FOUND;
            case 409 -> ErrorCode.CONFLICT;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 429 -> ErrorCode.BUSY;
            case 501 -> ErrorCode.UNSUPPORTED;
            case 503 -> ErrorCode.BACKEND_UNAVAILABLE;
            case 504 -> ErrorCode.TIMEOUT;
            default -> status >= 400 && status < 500 ? ErrorCode.INVALID_REQUEST : ErrorCode.INTERNAL;
        };
    }
}
