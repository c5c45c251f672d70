package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;

import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The HTTP side of {@link ErrorCode}: the status of each code is the code's own ({@link ErrorCode#httpStatus()},
 * the one table the HTTP client reads too); here only which statuses tell the client when to retry.
 */
final class HttpStatuses {
    private static final Map<ErrorCode, Integer> RETRY_AFTER_SECONDS = new EnumMap<>(ErrorCode.class);

    static {
        RETRY_AFTER_SECONDS.put(ErrorCode.BUSY, 1);
        RETRY_AFTER_SECONDS.put(ErrorCode.BACKEND_UNAVAILABLE, 5);
    }

    private HttpStatuses() {
    }

    static int status(ErrorCode code) {
        return code.httpStatus();
    }

    static OptionalInt retryAfterSeconds(ErrorCode code) {
        Integer s = RETRY_AFTER_SECONDS.get(code);
        return s == null ? OptionalInt.empty() : OptionalInt.of(s);
    }

    /** The error code a bare HTTP status (from the router or the body handler) stands for. */
    static ErrorCode codeOf(int status) {
        return ErrorCode.ofHttpStatus(status);
    }
}
