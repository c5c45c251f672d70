package dev.agentkernel.cli.commands;

import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Profiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Create and start a named sandbox that stays until removed.",
        description = {"Prints the sandbox's name.", "",
                "Example:", "  agentkernel create dev --image agentkernel/python:local --memory 1024 --profile restrictive"})
public final class CreateCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME",
            description = "1-63 letters, digits, '-', '_' or '.', starting with a letter or digit.")
    String name;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Image (default: the configured base image).")
    String image;

    @Option(names = "--vcpus", paramLabel = "N", description = "CPUs (default: [resources] vcpus of the configuration, 1).")
    Integer vcpus;

    @Option(names = "--memory", paramLabel = "MB",
            description = "Memory in MB, swap included (default: [resources] memory_mb of the configuration, 512).")
    Integer memoryMb;

    @Option(names = "--profile", paramLabel = "PROFILE", completionCandidates = Profiles.class,
            description = "Security profile: ${COMPLETION-CANDIDATES} (default: [sandbox] profile of the configuration, "
                    + "moderate).")
    String profile;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Environment of every command in it (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = "--ttl", paramLabel = "DURATION",
            description = "Remove the sandbox after DURATION unless extended: seconds, or 30m, 2h, 1d "
                    + "(default: [sandbox] ttl of the configuration, none).")
    String ttl;

    @Option(names = "--volume", paramLabel = "NAME:/PATH[:ro]",
            description = "Attach a named volume (agentkernel volume create NAME) at PATH, read-only with :ro (repeatable).")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--secret-file", paramLabel = "KEY",
            description = "Write the stored secret KEY (agentkernel secret set KEY) read-only to "
                    + CreateOptions.SECRETS_DIR + "/KEY (repeatable).")
    List<String> secretFiles = new ArrayList<>();

    @Option(names = "--source-url", paramLabel = "URL",
            description = "Clone this git repository (https://, ssh:// or git@host:path) into /workspace; needs network.")
    String sourceUrl;

    @Option(names = "--source-ref", paramLabel = "REF", description = "Check out this branch, tag or commit after the clone.")
    String sourceRef;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Expose this TCP port of the sandbox right after it starts (repeatable); open it with "
                    + "agentkernel port NAME PORT.")
    List<Integer> ports = new ArrayList<>();

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        SandboxSpec spec = new SandboxSpec(name, image, vcpus, memoryMb, Profiles.choose(profile, false), env, Map.of(),
                null, ttl == null ? null : dev.agentkernel.api.Validation.duration("ttl", ttl));
        CreateOptions options = new CreateOptions(volumes.stream().map(VolumeMount::parse).toList(), secretFiles,
                sourceUrl, sourceRef, List.of(), ports);
        SandboxInfo info = client.create(spec, options);
        if (json.json()) {
            console().out().println(Json.write(Json.sandbox(info)));
        } else {
            console().out().println(info.name());
        }
        return 0;
    }
}
