package dev.agentkernel.cli;

/**
 * Opens the {@link SandboxClient} a command works with. The default one runs embedded or, with a URL, remote;
 * tests pass their own (e.g. over the in-memory fake backend).
 */
@FunctionalInterface
public interface ClientFactory {
    SandboxClient open(ConnectionOptions connection, Console console);
}
