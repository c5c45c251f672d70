package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;

/** {@code agentkernel detached ls|status|logs|kill}: the background commands started with {@code exec --detach}. */
@Command(name = "detached", mixinStandardHelpOptions = true,
        header = "List, inspect, read and kill detached commands (started with 'exec --detach').",
        description = {"They belong to their sandbox: they run on when agentkernel restarts and die when the sandbox "
                + "stops. Their output is kept in the sandbox, at most 1 MiB per stream.", "",
                "Examples:", "  agentkernel detached ls dev", "  agentkernel detached logs dev 1a2b3c4d --stderr",
                "  agentkernel detached kill dev 1a2b3c4d"},
        subcommands = {DetachedCommand.Ls.class, DetachedCommand.Status.class, DetachedCommand.Logs.class,
                DetachedCommand.Kill.class})
public final class DetachedCommand extends BaseCommand {
    @Override
    protected int execute() {
        spec.commandLine().usage(console().err());
        return 2;
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, header = "The detached commands of a sandbox, oldest first.")
    public static final class Ls extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
        String name;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            List<dev.agentkernel.api.DetachedCommand> list = client.detachedList(name);
            if (json.json()) {
                console().out().println(Json.write(list.stream().map(Json::detached).toList()));
                return 0;
            }
            Table t = new Table("ID", "STATUS", "EXIT", "PID", "COMMAND");
            list.forEach(c -> t.row(c.id(), c.status().wireName(), c.exitCode(), c.pid(), String.join(" ", c.command())));
            t.print(console());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, header = "One detached command with its current status.")
    public static final class Status extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
        String name;

        @Parameters(index = "1", paramLabel = "ID", description = "The detached command's id.")
        String id;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            dev.agentkernel.api.DetachedCommand c = client.detachedStatus(name, id);
            console().out().println(json.json() ? Json.write(Json.detached(c)) : c.status().wireName()
                    + (c.exitCode() == null ? "" : " " + c.exitCode()));
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, header = "What a detached command wrote (stdout by default).")
    public static final class Logs extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
        String name;

        @Parameters(index = "1", paramLabel = "ID", description = "The detached command's id.")
        String id;

        @Option(names = "--stderr", description = "Its standard error instead of its standard output.")
        boolean stderr;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            dev.agentkernel.api.DetachedCommand.Stream stream = stderr ? dev.agentkernel.api.DetachedCommand.Stream.STDERR
                    : dev.agentkernel.api.DetachedCommand.Stream.STDOUT;
            String text = client.detachedLogs(name, id, stream);
            if (json.json()) {
                console().out().println(Json.write(java.util.Map.of(stream.wireName(), text)));
            } else {
                console().out().print(text);
                console().out().flush();
            }
            return 0;
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true,
            header = "Kill a detached command with everything it started.")
    public static final class Kill extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
        String name;

        @Parameters(index = "1", paramLabel = "ID", description = "The detached command's id.")
        String id;

        @Mixin
        JsonOption json;

        @Override
        protected int execute(Sandboxes client) {
            dev.agentkernel.api.DetachedCommand c = client.detachedKill(name, id);
            console().out().println(json.json() ? Json.write(Json.detached(c)) : "killed " + c.id());
            return 0;
        }
    }
}
