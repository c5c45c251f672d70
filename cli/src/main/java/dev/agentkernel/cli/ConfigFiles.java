package dev.agentkernel.cli;

import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The CLI's configuration: {@link ConfigLoader}'s rules (--config or $AGENTKERNEL_CONFIG, else ./agentkernel.toml,
 * else ~/.agentkernel/config.toml, else defaults; AGENTKERNEL_* variables override), read from the command's
 * environment and $HOME so tests can point them elsewhere.
 */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    /** The file that is read, if any. */
    public static Optional<Path> locate(ConnectionOptions connection, Map<String, String> env) {
        return ConfigLoader.findFile(connection.config(), env, workingDir(), home(env));
    }

    /** The configuration of --config (else the search) with --backend and the environment over it. */
    public static AgentKernelConfig load(ConnectionOptions connection, Map<String, String> env) {
        return ConfigLoader.load(connection.config(), connection.configEnv(env), workingDir(), home(env));
    }

    /**
     * The configuration of a one-shot embedded command: no warm pool (it would start containers only to drain
     * them when the command ends). {@code serve} keeps the configured pool.
     */
    public static AgentKernelConfig oneShot(AgentKernelConfig c) {
        return c.withPool(new AgentKernelConfig.Pool(0, c.pool().max()));
    }

    private static Path workingDir() {
        return Path.of("").toAbsolutePath();
    }

    private static Path home(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(home == null || home.isBlank() ? System.getProperty("user.home") : home);
    }
}
