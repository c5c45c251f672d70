package dev.agentkernel.cli.commands;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import picocli.CommandLine.Command;

@Command(name = "start", mixinStandardHelpOptions = true,
        header = "Start stopped sandboxes; their files are as they were left.",
        description = {"Prints each name started.", "", "Example:", "  agentkernel start dev"})
public final class StartCommand extends NamesCommand {
    @Override
    protected SandboxInfo apply(Sandboxes client, String name) {
        return client.start(name);
    }
}
