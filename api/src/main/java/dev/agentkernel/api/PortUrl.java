package dev.agentkernel.api;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * A time-limited URL that lets a browser open an exposed port of a sandbox without the API key
 * ({@link Sandboxes#portUrl}); it is signed by the server and refused after {@code expiresAt}.
 */
public record PortUrl(int port, URI url, Instant expiresAt) {
    public PortUrl {
        Validation.port(port);
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
