package dev.agentkernel.cli.mcp;

import dev.agentkernel.cli.commands.BaseCommand;
import dev.agentkernel.mcp.ClientConfig;
import dev.agentkernel.mcp.ServerLaunch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "config", mixinStandardHelpOptions = true,
        header = "Print the configuration snippet that makes an agent start 'agentkernel mcp-server'.",
        description = {
                "The snippet (on stdout) names this installation's launcher by its absolute path; where to paste it "
                        + "is said on stderr, so the snippet can be redirected into a file.",
                "",
                "Examples:",
                "  agentkernel mcp config --client claude > .mcp.json",
                "  agentkernel mcp config --client codex >> ~/.codex/config.toml",
                "  agentkernel mcp config --client gemini --url http://127.0.0.1:18888"})
public final class McpConfigCommand extends BaseCommand {
    @Option(names = "--client", paramLabel = "CLIENT", defaultValue = "generic", completionCandidates = Clients.class,
            description = "The agent: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String client;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "agentkernel",
            description = "The server's name in the agent's configuration (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    protected int execute() {
        ClientConfig format = ClientConfig.fromWire(client);
        root().connection().requireNoBackendWithUrl(); // the server it configures would refuse to start
        // The global --url, --config and --backend, given here, are passed on to the server the agent starts.
        String url = root().connection().url();
        Path config = root().connection().config();
        List<String> args = new ArrayList<>(List.of("mcp-server"));
        if (url != null) {
            args.add("--url");
            args.add(url);
        }
        if (config != null) {
            args.add("--config");
            args.add(config.toAbsolutePath().normalize().toString());
        }
        if (root().connection().backend() != null) {
            args.add("--backend");
            args.add(root().connection().backend());
        }
        String launcher = ServerLaunch.launcherFromEnvironment();
        ServerLaunch launch = ServerLaunch.detect(launcher, dev.agentkernel.cli.Main.class, args);
        if (launcher != null) {
            // Agents often start servers with a bare PATH: tell the launcher which Java runs it now.
            Map<String, String> env = new LinkedHashMap<>(launch.env());
            env.put("JAVA_HOME", System.getProperty("java.home"));
            launch = new ServerLaunch(launch.command(), launch.args(), env);
        }
        console().out().print(format.render(name, launch));
        console().err().println(format.where());
        if (url != null) {
            console().err().println("If the server needs an API key, add AGENTKERNEL_API_KEY to \"env\".");
        }
        return 0;
    }

    /** The --client values, for help and completion. */
    static final class Clients implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ClientConfig.wireNames().iterator();
        }
    }
}
