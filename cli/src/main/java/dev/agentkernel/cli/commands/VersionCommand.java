package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.VersionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "version", mixinStandardHelpOptions = true,
        header = "Print the version of agentkernel and of the Java runtime.",
        description = {"Engine and server details are in 'agentkernel doctor'.", "", "Example:", "  agentkernel version --json"})
public final class VersionCommand extends BaseCommand {
    @Mixin
    JsonOption json;

    @Override
    protected int execute() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("version", VersionInfo.version());
        v.put("java", System.getProperty("java.version"));
        v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        if (json.json()) {
            console().out().println(Json.write(v));
        } else {
            console().out().println("agentkernel " + v.get("version") + " (Java " + v.get("java") + ", " + v.get("os") + ")");
        }
        return 0;
    }
}
