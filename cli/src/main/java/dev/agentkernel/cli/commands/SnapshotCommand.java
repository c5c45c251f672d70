package dev.agentkernel.cli.commands;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Map;

/** {@code snapshot take|ls|rm|restore}: saved filesystems of sandboxes (a backend without snapshots exits 9). */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        header = "Save a sandbox's filesystem and make new sandboxes from it.",
        description = {"Volumes and secret files are not part of a snapshot.", "",
                "Examples:", "  agentkernel snapshot take dev --name before-upgrade",
                "  agentkernel snapshot restore before-upgrade --as dev2", "  agentkernel snapshot ls --json"},
        subcommands = {SnapshotCommand.Take.class, SnapshotCommand.Ls.class, SnapshotCommand.Rm.class,
                SnapshotCommand.Restore.class})
public final class SnapshotCommand extends BaseCommand {
    @Override
    protected int execute() {
        spec.commandLine().usage(console().err());
        return 2;
    }

    @Command(name = "take", mixinStandardHelpOptions = true, header = "Snapshot a sandbox (running or stopped); prints the snapshot's name.")
    public static final class Take extends ClientCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX", description = "The sandbox.")
        String sandbox;

        @Option(names = "--name", paramLabel = "NAME", description = "The snapshot's name (default: generated).")
        String name;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            SnapshotInfo s = client.takeSnapshot(sandbox, name);
            console().out().println(json.json() ? Json.write(Json.snapshot(s)) : s.name());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, header = "List snapshots, oldest first.")
    public static final class Ls extends ClientCommand {
        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            List<SnapshotInfo> list = client.listSnapshots();
            if (json.json()) {
                console().out().println(Json.write(list.stream().map(Json::snapshot).toList()));
                return 0;
            }
            Table t = new Table("NAME", "SANDBOX", "CREATED", "IMAGE");
            list.forEach(s -> t.row(s.name(), s.sandbox(), s.createdAt(), s.imageTag()));
            t.print(console());
            return 0;
        }
    }

    @Command(name = "rm", aliases = "delete", mixinStandardHelpOptions = true, header = "Remove snapshots.")
    public static final class Rm extends ClientCommand {
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "The snapshots.")
        List<String> names;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            for (String n : names) {
                client.deleteSnapshot(n);
            }
            console().out().println(json.json() ? Json.write(Map.of("deleted", names)) : String.join("\n", names));
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            header = "Make a new running sandbox from a snapshot (its limits and profile); prints the sandbox's name.")
    public static final class Restore extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The snapshot.")
        String name;

        @Option(names = "--as", paramLabel = "SANDBOX", description = "The new sandbox's name (default: <sandbox>-restored).")
        String asName;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            SandboxInfo info = client.restoreSnapshot(name, asName);
            console().out().println(json.json() ? Json.write(Json.sandbox(info)) : info.name());
            return 0;
        }
    }
}
