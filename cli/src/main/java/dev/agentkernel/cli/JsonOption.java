package dev.agentkernel.cli;

import picocli.CommandLine.Option;

/** Mixin of every command that prints data: {@code --json} for machines, a table or plain text otherwise. */
public final class JsonOption {
    @Option(names = "--json", description = "Print JSON (one document) instead of text.")
    boolean json;

    public boolean json() {
        return json;
    }
}
