package dev.agentkernel.client;

import java.time.Duration;
import java.util.Optional;

/**
 * The server cannot take the request now: admission control (HTTP 429/503 with {@code Retry-After}) or the
 * container engine is down. Worth retrying after {@link #retryAfter()}.
 */
public class UnavailableException extends AgentKernelClientException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    public UnavailableException(int status, String code, String message, Duration retryAfter) {
        super(status, code, message);
        this.retryAfter = retryAfter;
    }

    /** The server's {@code Retry-After}, when it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
