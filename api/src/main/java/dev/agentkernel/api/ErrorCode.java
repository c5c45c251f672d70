package dev.agentkernel.api;

import java.util.Locale;

/** Machine-readable error kinds. The server maps them to HTTP statuses, the CLI to exit codes, each in one table. */
public enum ErrorCode {
    NOT_FOUND,
    CONFLICT,
    /** The sandbox cannot serve calls any more (its agent stopped, died or broke the protocol); remove it. */
    SANDBOX_BROKEN,
    INVALID_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    PAYLOAD_TOO_LARGE,
    BUSY,
    TIMEOUT,
    BACKEND_UNAVAILABLE,
    /** The request is valid, but this deployment's backend lacks a {@link Capability} it needs. */
    UNSUPPORTED,
    INTERNAL;

    /** The wire form, e.g. {@code not_found}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
