package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.connect.SandboxesFactory;
import dev.agentkernel.connect.Target;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.ConfigLoader;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Standalone entry point of the MCP server ({@code java -cp ... dev.agentkernel.mcp.Main [mcp-server|config]}),
 * for use without the CLI and for the integration tests. The {@code agentkernel} CLI offers the same as
 * {@code agentkernel mcp-server} and {@code agentkernel mcp config}. The sandboxes are embedded, or, with
 * {@code --url} (else {@code AGENTKERNEL_BASE_URL}), those of that server: {@link Target#choose}, as in the CLI.
 */
public final class Main {
    /** Per-stream output a tool result carries by default: enough for build logs, small for an agent's context. */
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
    /** Tests set this to label every sandbox with an owner id they chose. */
    static final String INSTANCE_PROPERTY = "agentkernel.instance-id";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    static int run(String[] args, PrintStream err) {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        String command = rest.isEmpty() || rest.get(0).startsWith("-") ? "mcp-server" : rest.remove(0);
        try {
            return switch (command) {
                case "mcp-server" -> serve(rest);
                case "config" -> config(rest, err);
                default -> usage(err, "unknown command '" + command + "'");
            };
        } catch (AgentKernelException e) {
            err.println("agentkernel-mcp: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static int serve(List<String> args) throws InterruptedException {
        LogSetup.toStderr();
        // First of all: from here on only protocol messages reach stdout.
        OutputStream protocol = McpStdioServer.claimStdout();
        long maxOutput = DEFAULT_MAX_OUTPUT_BYTES;
        Path configFile = null;
        String url = null;
        String backend = null;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--max-output-bytes" -> maxOutput = parsePositive(value(args, ++i, "--max-output-bytes"));
                case "--backend" -> backend = value(args, ++i, "--backend");
                case "--config" -> configFile = Path.of(value(args, ++i, "--config"));
                case "--url" -> url = value(args, ++i, "--url");
                default -> throw new AgentKernelException.InvalidRequestException("unknown option " + args.get(i));
            }
        }
        // As the CLI does: silently serving the server's backend would contradict what was asked for.
        if (url != null && backend != null) {
            throw new AgentKernelException.InvalidRequestException("--backend chooses the backend of the embedded "
                    + "kernel; the server at --url runs its own");
        }
        // $AGENTKERNEL_BACKEND as an option: the embedded kernel's backend, its settings from the config
        Map<String, String> env = new HashMap<>(System.getenv());
        if (backend != null) {
            env.put(ConfigLoader.BACKEND_ENV, backend);
        }
        Path file = configFile;
        Target target = Target.choose(url, System.getenv(), () -> ConfigLoader.load(file, env,
                        Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home"))),
                System.getProperty(INSTANCE_PROPERTY, InstanceId.current()),
                BackendSettings.PULL_NONE); // a model names the images: only configured registries, if any
        // Embedded, a tool result carries no more than the engine keeps; a server applies its own cap.
        long cap = target instanceof Target.Embedded e ? Math.min(maxOutput, e.config().limits().maxOutputBytes())
                : maxOutput;
        McpStdioServer.serveAndClose(new SandboxesFactory().openLazily(target), target.describe(), cap, System.in,
                protocol);
        return 0;
    }

    private static int config(List<String> args, PrintStream err) {
        ClientConfig client = ClientConfig.GENERIC;
        String name = McpStdioServer.SERVER_NAME;
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--client" -> client = ClientConfig.fromWire(value(args, ++i, "--client"));
                case "--name" -> name = value(args, ++i, "--name");
                default -> throw new AgentKernelException.InvalidRequestException("unknown option " + args.get(i));
            }
        }
        ServerLaunch launch = ServerLaunch.detect(ServerLaunch.launcherFromEnvironment(), Main.class,
                List.of("mcp-server"));
        System.out.print(client.render(name, launch));
        System.out.flush();
        err.println(client.where());
        return 0;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new AgentKernelException.InvalidRequestException(option + " needs a value");
        }
        return args.get(i);
    }

    private static long parsePositive(String s) {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new AgentKernelException.InvalidRequestException("--max-output-bytes must be a positive integer, got " + s);
    }

    private static int usage(PrintStream err, String problem) {
        err.println("agentkernel-mcp: " + problem);
        err.println("usage: Main [mcp-server [--config FILE [--backend ID] | --url URL] [--max-output-bytes N]] | config [--client "
                + String.join("|", ClientConfig.wireNames()) + "] [--name NAME]");
        return 2;
    }
}
