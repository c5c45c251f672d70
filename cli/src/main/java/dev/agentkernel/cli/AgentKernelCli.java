package dev.agentkernel.cli;

import dev.agentkernel.cli.bench.BenchCommand;
import dev.agentkernel.cli.commands.AuditCommand;
import dev.agentkernel.cli.commands.BatchCommand;
import dev.agentkernel.cli.commands.CatCommand;
import dev.agentkernel.cli.commands.CompletionCommand;
import dev.agentkernel.cli.commands.CpCommand;
import dev.agentkernel.cli.commands.CreateCommand;
import dev.agentkernel.cli.commands.DoctorCommand;
import dev.agentkernel.cli.commands.ExecCommand;
import dev.agentkernel.cli.commands.ShellCommand;
import dev.agentkernel.cli.commands.InfoCommand;
import dev.agentkernel.cli.commands.LogsCommand;
import dev.agentkernel.cli.commands.LsCommand;
import dev.agentkernel.cli.commands.PoolCommand;
import dev.agentkernel.cli.commands.RmCommand;
import dev.agentkernel.cli.commands.RunCommand;
import dev.agentkernel.cli.commands.SecretCommand;
import dev.agentkernel.cli.commands.SnapshotCommand;
import dev.agentkernel.cli.commands.VolumeCommand;
import dev.agentkernel.cli.commands.ServeCommand;
import dev.agentkernel.cli.commands.SetupCommand;
import dev.agentkernel.cli.commands.StartCommand;
import dev.agentkernel.cli.commands.StopCommand;
import dev.agentkernel.cli.commands.VersionCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * The top command. Every subcommand is listed once, in {@code subcommands} below: to add a command, write its
 * class (extend {@link dev.agentkernel.cli.commands.BaseCommand}) and add one line here.
 */
@Command(name = "agentkernel",
        // Inherited by every subcommand: -h/-V, the version, the exit-status footer, the width.
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        usageHelpAutoWidth = true,
        sortOptions = false,
        header = "Run untrusted and AI-agent commands in isolated sandboxes.",
        description = {
                "Embedded by default: agentkernel runs in this process with the local Docker engine, and sets the "
                        + "engine and its images up on first use. With --url (or $AGENTKERNEL_BASE_URL) the same "
                        + "commands go to a running agentkernel server.",
                "",
                "Quick start:  agentkernel run -- python3 -c 'print(1+1)'"},
        footerHeading = "%nExit status:%n",
        footer = {
                "  0    success; run and exec: the command's own exit status",
                "  1    internal error",
                "  2    usage error or invalid request",
                "  3    not found",
                "  4    conflict (name taken, sandbox not running)",
                "  5    unauthorized or forbidden",
                "  6    too large",
                "  7    busy, retry later",
                "  8    engine or backend unavailable (try: agentkernel setup; agentkernel doctor)",
                "  9    not supported by this backend (e.g. stop on a backend without stop/start)",
                "  10   sandbox broken (its agent stopped answering): remove it and create it again",
                "  11   a port of the sandbox gave no answer (nothing listens there, or it broke off)",
                "  124  timed out",
                "  130  interrupted (Ctrl-C): the command was killed, its temporary sandbox removed"},
        subcommands = {
                RunCommand.class,
                CreateCommand.class,
                StartCommand.class,
                StopCommand.class,
                RmCommand.class,
                ExecCommand.class,
                ShellCommand.class,
                LsCommand.class,
                InfoCommand.class,
                CpCommand.class,
                CatCommand.class,
                LogsCommand.class,
                AuditCommand.class,
                SnapshotCommand.class,
                VolumeCommand.class,
                SecretCommand.class,
                BatchCommand.class,
                PoolCommand.class,
                ServeCommand.class,
                SetupCommand.class,
                DoctorCommand.class,
                BenchCommand.class,
                VersionCommand.class,
                CompletionCommand.class,
                dev.agentkernel.cli.mcp.McpServerCommand.class, dev.agentkernel.cli.mcp.McpCommand.class,
                // upstream 0.18
                dev.agentkernel.cli.commands.DetachedCommand.class, dev.agentkernel.cli.commands.ExtendCommand.class,
                // issue 18
                dev.agentkernel.cli.commands.PortCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class AgentKernelCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show more: progress stages, the image chosen, error details.")
    boolean verbose;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Show stack traces of errors and debug logs.")
    boolean debug;

    @Mixin
    ConnectionOptions connection;

    private final ClientFactory clientFactory;
    private final Map<String, String> env;

    public AgentKernelCli(ClientFactory clientFactory, Map<String, String> env) {
        this.clientFactory = Objects.requireNonNull(clientFactory, "clientFactory");
        this.env = Map.copyOf(env);
    }

    /** The production command line: embedded or remote by --url, the process environment. */
    public static CommandLine create() {
        Map<String, String> env = System.getenv();
        return create(new DefaultClientFactory(env), env);
    }

    /** A command line with the error handling and exit-code table installed. */
    public static CommandLine create(ClientFactory factory, Map<String, String> env) {
        CommandLine cl = new CommandLine(new AgentKernelCli(factory, env));
        ErrorHandler handler = new ErrorHandler();
        cl.setExecutionExceptionHandler(handler);
        cl.setParameterExceptionHandler(handler);
        // Everything after "--" is the sandboxed command, options included.
        cl.setUnmatchedOptionsArePositionalParams(false);
        cl.setExitCodeExceptionMapper(handler);
        return cl;
    }

    public ConnectionOptions connection() {
        return connection;
    }

    public ClientFactory clientFactory() {
        return clientFactory;
    }

    public Map<String, String> env() {
        return env;
    }

    public boolean verbose() {
        return verbose || debug;
    }

    public boolean debug() {
        return debug;
    }

    /** Without a subcommand: the usage on stderr, as a usage error. */
    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("error: a command is required");
        cl.usage(cl.getErr(), cl.getColorScheme());
        return ExitCodes.USAGE;
    }
}
