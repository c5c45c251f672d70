package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.DurationConverter;
import dev.agentkernel.cli.ExitStatus;
import dev.agentkernel.cli.Interrupts;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.LiveOutput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Run a command in a running named sandbox.",
        description = {"Output is shown as it is produced; agentkernel exits with the command's exit status.",
                "With --detach the command runs on in the background, owned by the sandbox: its id is printed; see "
                        + "'agentkernel detached' for its status, output and kill.", "",
                "Examples:", "  agentkernel exec dev -- ls -la /tmp",
                "  agentkernel exec dev -e DEBUG=1 -w /tmp -- sh -c 'echo $DEBUG > flag'",
                "  agentkernel exec dev --detach -- python3 -m http.server 8000"})
public final class ExecCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the sandbox.")
    String workdir;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Kill the command (and everything it started) after DURATION, e.g. 30s, 5m.")
    Duration timeout;

    @Option(names = {"-d", "--detach"}, description = "Run in the background; print the detached command's id.")
    boolean detach;

    @Option(names = "--sudo", description = "Run as root inside the sandbox (refused in the restrictive profile).")
    boolean sudo;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        ExecRequest request = new ExecRequest(command, env, workdir, timeout, null, 0, sudo);
        if (detach) {
            dev.agentkernel.api.DetachedCommand c = client.execDetached(name, request);
            console().out().println(json.json() ? Json.write(Json.detached(c)) : c.id());
            return 0;
        }
        LiveOutput live = new LiveOutput(console());
        RunListener listener = json.json() ? RunListener.NONE : live;
        Cancellation cancellation = Cancellation.create();
        ExecResult result = Interrupts.cancelOnExit(cancellation, () -> client.execStreaming(name, request, listener, cancellation));
        live.finish();
        if (json.json()) {
            console().out().println(Json.write(Json.exec(result)));
        }
        return ExitStatus.of(result, console(), cancellation);
    }
}
