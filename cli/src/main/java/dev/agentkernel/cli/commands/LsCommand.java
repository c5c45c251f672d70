package dev.agentkernel.cli.commands;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Comparator;
import java.util.List;

@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
        header = "List sandboxes (named ones, and temporary ones while they run).",
        description = {"Example:", "  agentkernel ls", "  agentkernel ls --json"})
public final class LsCommand extends ClientCommand {
    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        List<SandboxInfo> list = client.list().stream().sorted(Comparator.comparing(SandboxInfo::name)).toList();
        if (json.json()) {
            console().out().println(Json.write(Json.sandboxes(list)));
        } else {
            Render.table(console(), list);
        }
        return 0;
    }
}
