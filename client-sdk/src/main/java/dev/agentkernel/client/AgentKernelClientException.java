package dev.agentkernel.client;

import java.util.Optional;

/**
 * The one exception of the client: the server's answer was an error, or the server could not be reached.
 * Catch a subclass ({@link NotFoundException}, {@link ConflictException}, {@link UnauthorizedException},
 * {@link ValidationException}, {@link UnavailableException}) for the cases a caller usually handles apart.
 *
 * <p>{@link #status()} is the HTTP status, or {@link #NO_STATUS} when no answer came back (connection refused,
 * reset, timed out); {@link #code()} is the server's machine code (e.g. {@code not_found}), or
 * {@link #CODE_NETWORK} / {@link #CODE_TIMEOUT} / {@link #CODE_PROTOCOL} for failures on the client side.
 */
public class AgentKernelClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The status of failures where the server gave no answer. */
    public static final int NO_STATUS = 0;
    /** The server could not be reached, or the connection broke. */
    public static final String CODE_NETWORK = "network_error";
    /** No answer within the client's timeout. */
    public static final String CODE_TIMEOUT = "client_timeout";
    /** The server answered something this client does not understand. */
    public static final String CODE_PROTOCOL = "protocol_error";

    private final int status;
    private final String code;

    public AgentKernelClientException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
    }

    public AgentKernelClientException(int status, String code, String message) {
        this(status, code, message, null);
    }

    /** The HTTP status, or {@link #NO_STATUS} when the server gave no answer. */
    public int status() {
        return status;
    }

    /** The server's machine code ({@code not_found}, {@code conflict}, ...) or a client-side code; may be null. */
    public String code() {
        return code;
    }

    /** Whether the failure happened before any answer from the server (network, timeout). */
    public boolean isNetworkFailure() {
        return status == NO_STATUS;
    }

    /** The code as an Optional, for callers that match on it. */
    public Optional<String> codeOptional() {
        return Optional.ofNullable(code);
    }
}
