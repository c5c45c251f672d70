package dev.agentkernel.cli.commands;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import picocli.CommandLine.Command;

@Command(name = "stop", mixinStandardHelpOptions = true,
        header = "Stop sandboxes, keeping their files (start them again with 'start').",
        description = {"Prints each name stopped.", "", "Example:", "  agentkernel stop dev"})
public final class StopCommand extends NamesCommand {
    @Override
    protected SandboxInfo apply(Sandboxes client, String name) {
        return client.stop(name);
    }
}
