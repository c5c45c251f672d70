package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.SandboxClient;

/** A command that works on sandboxes, embedded or through a server. */
public abstract class ClientCommand extends BaseCommand {

    @Override
    protected final int execute() throws Exception {
        try (SandboxClient client = root().clientFactory().open(root().connection(), console())) {
            return execute(client);
        }
    }

    protected abstract int execute(SandboxClient client) throws Exception;
}
