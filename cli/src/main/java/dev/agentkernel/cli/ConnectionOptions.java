package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.config.ConfigLoader;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Where agentkernel runs and with which configuration. Mixed into the top command with inherited options, so
 * they may be given before or after the subcommand ({@code agentkernel --url U ls} or {@code agentkernel ls --url U}).
 */
public final class ConnectionOptions {
    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Send the command to a running agentkernel server at URL (default: $AGENTKERNEL_BASE_URL; "
                    + "unset: run embedded, in this process). The API key is read from $AGENTKERNEL_API_KEY.")
    String url;

    @Option(names = "--config", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Configuration file (default: $AGENTKERNEL_CONFIG, else ./agentkernel.toml, else "
                    + "~/.agentkernel/config.toml, else built-in defaults; AGENTKERNEL_* variables override it).")
    Path config;

    @Option(names = "--backend", paramLabel = "ID", scope = ScopeType.INHERIT,
            description = "Backend of an embedded run or of serve: docker or kubernetes (default: $AGENTKERNEL_BACKEND, "
                    + "else [sandbox] backend, else docker). Its settings come from the config's [docker] or "
                    + "[kubernetes] section.")
    String backend;

    public String url() {
        return url;
    }

    public Path config() {
        return config;
    }

    public String backend() {
        return backend;
    }

    /** --backend chooses an embedded kernel's backend: with --url it would be silently ignored, so it is refused. */
    public void requireNoBackendWithUrl() {
        if (url != null && backend != null) {
            throw new AgentKernelException.InvalidRequestException("--backend chooses the backend of an embedded run; "
                    + "the server at --url runs its own");
        }
    }

    /** The environment the configuration is read with: {@code --backend} is $AGENTKERNEL_BACKEND given as an option. */
    public Map<String, String> configEnv(Map<String, String> env) {
        if (backend == null) {
            return env;
        }
        Map<String, String> e = new HashMap<>(env);
        e.put(ConfigLoader.BACKEND_ENV, backend);
        return e;
    }
}
