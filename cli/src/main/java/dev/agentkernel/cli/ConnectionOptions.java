package dev.agentkernel.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Mixin of every command that talks to agentkernel: where it runs and with which configuration. */
public final class ConnectionOptions {
    @Option(names = "--url", paramLabel = "URL",
            description = "Send the command to a running agentkernel server at URL (default: $AGENTKERNEL_BASE_URL; "
                    + "unset: run embedded, in this process). The API key is read from $AGENTKERNEL_API_KEY.")
    String url;

    @Option(names = "--config", paramLabel = "FILE",
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
