package dev.agentkernel.cli;

import dev.agentkernel.api.Sandboxes;

/**
 * Opens the {@link Sandboxes} a command works with. The default one ({@link DefaultClientFactory}) gets them from
 * the one factory of the front ends: embedded or, with a URL, remote. Tests pass their own (e.g. a kernel over the
 * in-memory fake backend).
 */
@FunctionalInterface
public interface ClientFactory {
    /** For one command: embedded without a warm pool, or the server of {@code --url}. */
    Sandboxes open(ConnectionOptions connection, Console console);

    /**
     * For a long-running front end (the MCP server): the configured warm pool is kept, and opening may happen in
     * the background so the caller answers at once. By default what {@link #open} gives.
     */
    default Sandboxes openLongRunning(ConnectionOptions connection, Console console) {
        return open(connection, console);
    }
}
