package dev.agentkernel.api;

import java.util.Locale;
import java.util.Optional;

/**
 * Machine-readable error kinds, each with its HTTP status: this is the one code↔status table, read by the server
 * (code → status) and by the HTTP client (status → code, when an answer carries no code). The CLI maps codes to
 * exit codes in its own table.
 */
public enum ErrorCode {
    NOT_FOUND(404),
    CONFLICT(409),
    /** The sandbox cannot serve calls any more (its agent stopped, died or broke the protocol); remove it. */
    SANDBOX_BROKEN(409), // the sandbox's state, not the server's: retrying cannot help
    INVALID_REQUEST(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    PAYLOAD_TOO_LARGE(413),
    BUSY(429),
    TIMEOUT(504),
    BACKEND_UNAVAILABLE(503),
    /** The request is valid, but this deployment's backend lacks a {@link Capability} it needs. */
    UNSUPPORTED(501),
    /**
     * A port of the sandbox gave no answer: nothing listens there, or the connection broke before an answer began
     * (the proxy's 502). The sandbox itself is fine.
     */
    PORT_UNREACHABLE(502),
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The wire form, e.g. {@code not_found}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }

    /**
     * The code a bare HTTP error status stands for: the first code of the table above with that status (409 is
     * {@code CONFLICT}); any other 4xx is invalid, anything else internal. A bare 502 is internal too: it comes
     * from a gateway in front of the server, not from a sandbox's port ({@code PORT_UNREACHABLE} always has its code).
     */
    public static ErrorCode ofHttpStatus(int status) {
        for (ErrorCode c : values()) {
            if (c.httpStatus == status && c != PORT_UNREACHABLE) {
                return c;
            }
        }
        return status >= 400 && status < 500 ? INVALID_REQUEST : INTERNAL;
    }

    /** The code of a wire form; empty for null or a code this version does not know. */
    public static Optional<ErrorCode> fromWire(String code) {
        if (code != null) {
            for (ErrorCode c : values()) {
                if (c.code().equals(code)) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }
}
