package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
        header = "Remove sandboxes and everything in them.",
        description = {"A running sandbox is removed only with --force (as 'docker rm'). Prints each name removed.", "",
                "Example:", "  agentkernel rm dev test", "  agentkernel rm --force dev"})
public final class RmCommand extends NamesCommand {
    @Option(names = {"-f", "--force"}, description = "Remove running sandboxes too, and ignore names that do not exist.")
    boolean force;

    @Override
    protected SandboxInfo apply(Sandboxes client, String name) {
        if (force) {
            try {
                client.remove(name);
            } catch (AgentKernelException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    throw e;
                }
            }
            return null;
        }
        SandboxInfo info = client.get(name);
        if (info.running()) {
            throw new AgentKernelException.ConflictException("Sandbox '" + name
                    + "' is running; stop it first or use rm --force");
        }
        client.remove(name);
        return null;
    }
}
