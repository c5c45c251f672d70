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
            case SANDBOX_BROKEN -> new SandboxBrokenException(message);
            case UNSUPPORTED -> new UnsupportedException(message);
            case INVALID_REQUEST -> new InvalidRequestException(message);
            case TIMEOUT -> new OperationTimeoutException(message);
            case BACKEND_UNAVAILABLE -> new BackendUnavailableException(message, null);
            case BUSY -> new BusyException(message);
            case PAYLOAD_TOO_LARGE -> new TooLargeException(message);
            case UNAUTHORIZED, FORBIDDEN, PORT_UNREACHABLE, INTERNAL -> new AgentKernelException(code, message);
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

    /**
     * The sandbox cannot serve calls any more: its agent stopped answering, died or broke the protocol. Its calls
     * fail with this at once; removing it works. {@code sandbox} is the name the caller knows.
     */
    public static class SandboxBrokenException extends AgentKernelException {
        private final String reason;

        public SandboxBrokenException(String sandbox, String reason) {
            super(ErrorCode.SANDBOX_BROKEN, "Sandbox '" + sandbox + "' is broken (" + reason
                    + "); remove it and create it again");
            this.reason = reason;
        }

        /** As a server reported it: the message is the whole sentence, the reason is not known apart. */
        SandboxBrokenException(String message) {
            super(ErrorCode.SANDBOX_BROKEN, message);
            this.reason = null;
        }

        /** What broke, e.g. "its agent stopped answering". */
        public String reason() {
            return reason;
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

    /** The backend lacks the {@link Capability} an operation needs; the message names both. */
    public static class UnsupportedException extends AgentKernelException {
        public UnsupportedException(String message) {
            super(ErrorCode.UNSUPPORTED, message);
        }
    }

    /** A size limit was exceeded (body, file, batch). */
    public static class TooLargeException extends AgentKernelException {
        public TooLargeException(String message) {
            super(ErrorCode.PAYLOAD_TOO_LARGE, message);
        }
    }
}
