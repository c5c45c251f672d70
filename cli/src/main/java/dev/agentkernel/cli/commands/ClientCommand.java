package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Sandboxes;

/** A command that works on sandboxes, embedded or through a server: written against {@link Sandboxes} only. */
public abstract class ClientCommand extends BaseCommand {

    @Override
    protected final int execute() throws Exception {
        try (Sandboxes sandboxes = root().clientFactory().open(root().connection(), console())) {
            return execute(sandboxes);
        }
    }

    protected abstract int execute(Sandboxes client) throws Exception;
}
