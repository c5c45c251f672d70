package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.ConnectionOptions;
import dev.agentkernel.cli.SandboxClient;
import picocli.CommandLine.Mixin;

/** A command that works on sandboxes, embedded or through a server. */
public abstract class ClientCommand extends BaseCommand {
    @Mixin
    protected ConnectionOptions connection;

    @Override
    protected final int execute() throws Exception {
        try (SandboxClient client = root().clientFactory().open(connection, console())) {
            return execute(client);
        }
    }

    protected abstract int execute(SandboxClient client) throws Exception;
}
