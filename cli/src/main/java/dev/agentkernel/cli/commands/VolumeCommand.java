package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Map;

/** {@code volume create|ls|rm}: named volumes for {@code create --volume NAME:/path[:ro]}. */
@Command(name = "volume", mixinStandardHelpOptions = true,
        header = "Named volumes: storage that outlives the sandboxes it is attached to.",
        description = {"Examples:", "  agentkernel volume create cache", "  agentkernel create dev --volume cache:/cache",
                "  agentkernel volume ls --json", "  agentkernel volume rm cache"},
        subcommands = {VolumeCommand.Create.class, VolumeCommand.Ls.class, VolumeCommand.Rm.class})
public final class VolumeCommand extends BaseCommand {
    @Override
    protected int execute() {
        spec.commandLine().usage(console().err());
        return 2;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, header = "Make named volumes; prints their names.")
    public static final class Create extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "1-63 letters, digits, '-', '_' or '.'.")
        List<String> names;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            List<VolumeInfo> made = names.stream().map(client::createVolume).toList();
            console().out().println(json.json() ? Json.write(made.stream().map(Json::volume).toList())
                    : String.join("\n", names));
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, header = "List named volumes.")
    public static final class Ls extends ClientCommand {
        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            List<VolumeInfo> list = client.listVolumes();
            if (json.json()) {
                console().out().println(Json.write(list.stream().map(Json::volume).toList()));
                return 0;
            }
            Table t = new Table("NAME", "CREATED");
            list.forEach(v -> t.row(v.name(), v.createdAt()));
            t.print(console());
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
            header = "Remove named volumes and their data (one attached to a sandbox: exit 4).")
    public static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "The volumes.")
        List<String> names;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            for (String n : names) {
                client.removeVolume(n);
            }
            console().out().println(json.json() ? Json.write(Map.of("removed", names)) : String.join("\n", names));
            return 0;
        }
    }
}
