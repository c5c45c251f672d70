package dev.agentkernel.cli.mcp;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code agentkernel mcp ...}: helpers around the MCP server ({@code agentkernel mcp-server} is the server itself). */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        header = "Set up agentkernel as an MCP server for coding agents.",
        subcommands = {McpConfigCommand.class, CommandLine.HelpCommand.class})
public final class McpCommand {
}
