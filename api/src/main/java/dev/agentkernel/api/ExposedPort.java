package dev.agentkernel.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A TCP port of a named sandbox opened for forwarding ({@link Sandboxes#exposePort}): only exposed ports can be
 * connected to, proxied or given a URL.
 *
 * @param port      1-65535, inside the sandbox (its own {@code 127.0.0.1})
 * @param exposedAt when it was exposed
 */
public record ExposedPort(int port, Instant exposedAt) {
    public ExposedPort {
        Validation.port(port);
        Objects.requireNonNull(exposedAt, "exposedAt");
    }
}
