package dev.agentkernel.cli.mcp;

import dev.agentkernel.cli.ExitCodes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code agentkernel mcp ...}: helpers around the MCP server ({@code agentkernel mcp-server} is the server itself). */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        header = "Set up agentkernel as an MCP server for coding agents.",
        subcommands = {McpConfigCommand.class, CommandLine.HelpCommand.class})
public final class McpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Without a subcommand: the usage on stderr, as a usage error. */
    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        cl.getErr().println("error: a subcommand is required");
        cl.usage(cl.getErr(), cl.getColorScheme());
        return ExitCodes.USAGE;
    }
}
