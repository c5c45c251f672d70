package dev.agentkernel.server;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;
import dev.agentkernel.server.logging.LogFormat;

import java.util.concurrent.CountDownLatch;

/**
 * Standalone server: {@code java dev.agentkernel.server.Main [--host H] [--port P] [--insecure-no-auth]}, configured from
 * {@code agentkernel.toml} and {@code AGENTKERNEL_*} variables ({@link ConfigLoader}). The kernel is built from it by
 * {@link KernelFactory}, as everywhere else; the API key comes from {@code AGENTKERNEL_API_KEY}. Stops gracefully on
 * SIGTERM/SIGINT: the server first, then the kernel (which drains the pool and removes temporaries).
 * The CLI's {@code serve} does the same with the full configuration.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        AgentKernelConfig config;
        try {
            LogFormat.configure(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("agentkernel: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            config = ConfigLoader.load();
        } catch (AgentKernelException e) {
            System.err.println("agentkernel: " + e.getMessage());
            System.exit(2);
            return;
        }
        ServerOptions options = ServerOptions.fromEnvironment(config);
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--host" -> options = options.withHost(require(args[i], value));
                case "--port" -> options = options.withPort(Integer.parseInt(require(args[i], value)));
                case ApiWall.INSECURE_FLAG -> {
                    options = options.withInsecureNoAuth(true);
                    continue;
                }
                default -> {
                    System.err.println("Unknown option " + args[i] + "; usage: Main [--host HOST] [--port PORT] ["
                            + ApiWall.INSECURE_FLAG + "]");
                    System.exit(2);
                }
            }
            i++;
        }
        try {
            ApiWall.check(options);
        } catch (AgentKernelException e) {
            System.err.println("agentkernel: " + e.getMessage());
            System.exit(2);
            return;
        }
        AgentKernel kernel;
        try {
            // Started now: reconcile and warm the pool before the first request, not during it. Its callers name
            // the images, so they are pulled only from the configured registries (none when unset).
            kernel = KernelFactory.fromConfig(config, InstanceId.current(), BackendSettings.PULL_NONE,
                    b -> b.destroyInBackground(true)).start();
        } catch (AgentKernelException e) {
            System.err.println("agentkernel: " + e.getMessage());
            System.exit(3);
            return;
        }
        AgentKernelServer server;
        try {
            server = AgentKernelServer.start(kernel, options);
        } catch (AgentKernelException e) {
            kernel.close();
            System.err.println("agentkernel: " + e.getMessage());
            System.exit(4);
            return;
        }
        // Printed for scripts and tests that start the server as a child process with --port 0.
        System.out.println("agentkernel listening on http://" + options.host() + ":" + server.port());
        System.out.flush();
        serveUntilShutdown(server, kernel);
    }

    /**
     * Blocks until the JVM is asked to stop (SIGTERM, SIGINT), then closes the server gracefully and the kernel
     * after it, which drains the pool and removes temporary sandboxes.
     */
    static void serveUntilShutdown(AgentKernelServer server, AgentKernel kernel) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } finally {
                kernel.close();
                stopped.countDown();
            }
        }, "agentkernel-shutdown"));
        stopped.await();
    }

    private static String require(String option, String value) {
        if (value == null) {
            System.err.println("Missing value for " + option);
            System.exit(2);
        }
        return value;
    }
}
