package dev.agentkernel.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

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

    public String url() {
        return url;
    }

    public Path config() {
        return config;
    }
}
