package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.cli.ConfigFiles;
import dev.agentkernel.cli.DefaultClientFactory;
import dev.agentkernel.cli.setup.EngineSetup;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ApiWall;
import dev.agentkernel.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Run the agentkernel HTTP API (default http://127.0.0.1:18888) until stopped.",
        description = {
                "Serves the API of the HTTP API table (POST /run, /run/stream, /sandboxes, files, logs, /batch/run, "
                        + "/pool, /health...) with a warm pool, from this process and the local engine. When "
                        + "$AGENTKERNEL_API_KEY is set every request needs it (X-API-Key or Authorization: Bearer). "
                        + "Ctrl-C or SIGTERM stops it gracefully: requests finish, the pool is drained and "
                        + "temporary sandboxes are removed; named sandboxes stay.",
                "",
                "Examples:",
                "  agentkernel serve",
                "  AGENTKERNEL_API_KEY=secret agentkernel serve --port 3000",
                "  AGENTKERNEL_API_KEY=secret agentkernel serve --host 0.0.0.0   (a non-loopback address needs a key)"})
public final class ServeCommand extends BaseCommand {
    @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default: [server] host, 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Port to bind, 0 for any free one (default: [server] port, 18888).")
    Integer port;

    @Option(names = ApiWall.INSECURE_FLAG, description = "Listen on a non-loopback address without an API key "
            + "(refused otherwise: anyone who can reach the port runs code on this host). Logged as INSECURE at start.")
    boolean insecureNoAuth;


    @Override
    protected int execute() throws InterruptedException {
        if (root().connection().url() != null) {
            throw new AgentKernelException.InvalidRequestException("serve runs the server here; --url does not apply");
        }
        AgentKernelConfig config = ConfigFiles.load(root().connection(), root().env());
        ServerOptions options = ServerOptions.from(config, root().env().get(ServerOptions.API_KEY_ENV));
        if (host != null) {
            options = options.withHost(host);
        }
        if (port != null) {
            options = options.withPort(port);
        }
        options = options.withInsecureNoAuth(insecureNoAuth);
        ApiWall.check(options);
        new DefaultClientFactory(root().env()).prepareEngine(config, console());
        boolean docker = config.sandbox().backend() == null || "docker".equals(config.sandbox().backend());
        if (docker && new EngineSetup(root().env()).firewall().ok() == Boolean.FALSE) {
            console().err().println("agentkernel: WARNING: the sandbox network firewall is not installed: sandboxes of the "
                    + "bridge profiles can reach this host's services and private networks; fix: agentkernel setup (as root)");
        }
        // A long-running server: temporary sandboxes are removed right after answering instead of before; its
        // callers name the images, so they are pulled only from the configured registries (none when unset).
        AgentKernel kernel = KernelFactory.fromConfig(config, InstanceId.current(), BackendSettings.PULL_NONE,
                b -> b.destroyInBackground(true));
        AgentKernelServer server;
        try {
            server = AgentKernelServer.start(kernel.start(), options);
        } catch (RuntimeException e) {
            kernel.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop(server, kernel);
            stopped.countDown();
        }, "agentkernel-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // Scripts and tests read this line to learn the address (with --port 0, the port chosen).
        console().out().println("agentkernel listening on http://" + hostForUrl(options.host()) + ":" + server.port());
        console().out().flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            // Stopped by the embedding program (e.g. a test) rather than by a signal.
            Runtime.getRuntime().removeShutdownHook(hook);
            stop(server, kernel);
        }
        return 0;
    }

    private static void stop(AgentKernelServer server, AgentKernel kernel) {
        try {
            server.close();
        } finally {
            kernel.close();
        }
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
