package dev.agentkernel.cli.commands;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "info", aliases = "inspect", mixinStandardHelpOptions = true,
        header = "Show one sandbox: status, image, limits, profile, creation time.",
        description = {"Example:", "  agentkernel info dev --json"})
public final class InfoCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        SandboxInfo info = client.get(name);
        if (json.json()) {
            console().out().println(Json.write(Json.sandbox(info)));
        } else {
            Render.details(console(), info);
        }
        return 0;
    }
}
