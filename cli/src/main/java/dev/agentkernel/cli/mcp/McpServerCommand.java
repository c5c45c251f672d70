package dev.agentkernel.cli.mcp;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Console;
import dev.agentkernel.cli.commands.BaseCommand;
import dev.agentkernel.connect.Target;
import dev.agentkernel.mcp.McpStdioServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

@Command(name = "mcp-server", mixinStandardHelpOptions = true,
        header = "Serve sandboxes to a coding agent as MCP tools, over stdio.",
        description = {
                "Speaks the Model Context Protocol on stdin/stdout (logs and progress go to stderr) with the tools "
                        + "sandbox_run, sandbox_create, sandbox_exec, sandbox_list, sandbox_remove, sandbox_file_write, "
                        + "sandbox_file_read, sandbox_start and sandbox_stop. Runs until the agent closes stdin.",
                "Embedded by default; with --url the tools act on a running agentkernel server.",
                "",
                "Your agent starts this command itself: 'agentkernel mcp config --client claude' prints what to paste "
                        + "into its configuration."})
public final class McpServerCommand extends BaseCommand {
    /** Per-stream output of one tool result: enough for build logs, small enough for an agent's context. */
    static final String DEFAULT_MAX_OUTPUT = "65536";

    @Option(names = "--max-output-bytes", paramLabel = "N", defaultValue = DEFAULT_MAX_OUTPUT,
            description = "Most bytes of stdout and of stderr (and of a file read) one tool result carries; more is cut "
                    + "and marked truncated (default: ${DEFAULT-VALUE}).")
    long maxOutputBytes;

    @Override
    protected int execute() throws Exception {
        if (maxOutputBytes <= 0) {
            throw new AgentKernelException.InvalidRequestException("--max-output-bytes must be positive");
        }
        // From here on the real stdout carries protocol messages only; anything else printed goes to stderr.
        OutputStream protocol = McpStdioServer.claimStdout();
        spec.commandLine().setOut(new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                StandardCharsets.UTF_8), true));
        Console console = console();
        // Long-running like serve: the configured warm pool is kept (one-shot commands turn it off), a model names
        // the images (so nothing is pulled unless the configuration allows registries), and the handshake is
        // answered while the engine is made ready in the background.
        Sandboxes sandboxes = root().clientFactory().openLongRunning(root().connection(), console);
        McpStdioServer.serveAndClose(sandboxes, where(), maxOutputBytes, System.in, protocol);
        return 0;
    }

    /** For the MCP instructions: the server's URL, or embedded. */
    private String where() {
        String url = root().connection().url() != null ? root().connection().url()
                : root().env().get(Target.BASE_URL_ENV);
        return url == null || url.isBlank() ? "embedded" : url;
    }
}
