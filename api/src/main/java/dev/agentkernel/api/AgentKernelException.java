package dev.agentkernel.api;

import java.util.Objects;

/**
 * The one exception root of agentkernel. Every failure a caller can act on carries an {@link ErrorCode};
 * the message is written for humans and never contains a host path, a key or a stack trace.
 */
public class AgentKernelException extends RuntimeException {
    private final ErrorCode code;

    public AgentKernelException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public AgentKernelException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * The exception of a code, as its subclass where there is one, so that a failure reported by a server is
     * caught by the same {@code catch} as the same failure in process.
     */
    public static AgentKernelException of(ErrorCode code, String message) {
        return switch (code) {
            case NOT_FOUND -> new NotFoundException(message);
            case CONFLICT -> new ConflictException(message);
            case INVALID_REQUEST -> new InvalidRequestException(message);
            case TIMEOUT -> new OperationTimeoutException(message);
            case BACKEND_UNAVAILABLE -> new BackendUnavailableException(message, null);
            case BUSY -> new BusyException(message);
            case PAYLOAD_TOO_LARGE -> new TooLargeException(message);
            case UNAUTHORIZED, FORBIDDEN, INTERNAL -> new AgentKernelException(code, message);
        };
    }

    public static NotFoundException sandboxNotFound(String name) {
        return new NotFoundException("Sandbox '" + name + "' not found");
    }

    /** No such sandbox, file or resource. */
    public static class NotFoundException extends AgentKernelException {
        public NotFoundException(String message) {
            super(ErrorCode.NOT_FOUND, message);
        }
    }

    /** The name is taken, or the sandbox is not in a state that allows the operation. */
    public static class ConflictException extends AgentKernelException {
        public ConflictException(String message) {
            super(ErrorCode.CONFLICT, message);
        }
    }

    /** The caller sent something invalid; the message names the field and the rule. */
    public static class InvalidRequestException extends AgentKernelException {
        public InvalidRequestException(String message) {
            super(ErrorCode.INVALID_REQUEST, message);
        }
    }

    /** An operation (not a command: a timed-out command is a normal result) ran out of time. */
    public static class OperationTimeoutException extends AgentKernelException {
        public OperationTimeoutException(String message) {
            super(ErrorCode.TIMEOUT, message);
        }

        public OperationTimeoutException(String message, Throwable cause) {
            super(ErrorCode.TIMEOUT, message, cause);
        }
    }

    /** The backend (e.g. the Docker engine) cannot be reached or refused to work. */
    public static class BackendUnavailableException extends AgentKernelException {
        public BackendUnavailableException(String message, Throwable cause) {
            super(ErrorCode.BACKEND_UNAVAILABLE, message, cause);
        }
    }

    /** Too much work in flight; the caller may retry later. */
    public static class BusyException extends AgentKernelException {
        public BusyException(String message) {
            super(ErrorCode.BUSY, message);
        }
    }

    /** A size limit was exceeded (body, file, batch). */
    public static class TooLargeException extends AgentKernelException {
        public TooLargeException(String message) {
            super(ErrorCode.PAYLOAD_TOO_LARGE, message);
        }
    }
}
