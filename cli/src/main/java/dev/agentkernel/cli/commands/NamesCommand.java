package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.ExitCodes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A command applied to several sandboxes by name: each is tried, failures are reported one line each, and the
 * exit status is that of the first failure (0 when all succeeded).
 */
abstract class NamesCommand extends ClientCommand {
    @Parameters(arity = "1..*", paramLabel = "NAME", description = "Sandbox name(s).")
    List<String> names;

    @Mixin
    JsonOption json;

    /** Acts on one sandbox; returns what to report, or null to report nothing. */
    protected abstract SandboxInfo apply(Sandboxes client, String name);

    @Override
    protected int execute(Sandboxes client) {
        int status = 0;
        List<Map<String, Object>> done = new ArrayList<>();
        for (String name : names) {
            try {
                SandboxInfo info = apply(client, name);
                if (json.json()) {
                    done.add(info == null ? Map.of("name", name) : Json.sandbox(info));
                } else {
                    console().out().println(name);
                }
            } catch (AgentKernelException e) {
                console().err().println("error: " + e.getMessage());
                if (status == 0) {
                    status = ExitCodes.of(e.code());
                }
            }
        }
        if (json.json()) {
            console().out().println(Json.write(done));
        }
        return status;
    }
}
