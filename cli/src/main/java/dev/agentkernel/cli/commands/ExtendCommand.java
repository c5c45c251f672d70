package dev.agentkernel.cli.commands;

import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.Map;

@Command(name = "extend", mixinStandardHelpOptions = true,
        header = "Extend a sandbox's time to live (one without gets one).",
        description = {"The new expiry is max(current expiry, now) + DURATION; it is printed. An expired sandbox is "
                + "removed by agentkernel.", "", "Example:", "  agentkernel extend dev --by 2h"})
public final class ExtendCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Option(names = "--by", paramLabel = "DURATION", defaultValue = "1h",
            description = "How much longer: seconds, or 30m, 1h30m, 2d (default: ${DEFAULT-VALUE}).")
    String by;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        Instant at = client.extend(name, Validation.duration("by", by));
        console().out().println(json.json() ? Json.write(Map.of("expires_at", at.toString())) : at.toString());
        return 0;
    }
}
