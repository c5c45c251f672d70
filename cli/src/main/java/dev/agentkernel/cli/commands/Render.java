package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.Console;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.Table;
import dev.agentkernel.api.SandboxInfo;

import java.util.List;
import java.util.Map;

/** How sandboxes look in text: one table layout and one detail layout, shared by the commands. */
final class Render {
    private Render() {
    }

    static String status(Console console, SandboxInfo s) {
        String colour = switch (s.status()) {
            case RUNNING -> "green";
            case STOPPED -> "yellow";
            default -> "red";
        };
        return console.style("@|" + colour + " " + s.status().wireName() + "|@");
    }

    static void table(Console console, List<SandboxInfo> sandboxes) {
        Table t = new Table("NAME", "STATUS", "IMAGE", "PROFILE", "VCPUS", "MEMORY_MB", "KIND", "CREATED");
        for (SandboxInfo s : sandboxes) {
            // Status is padded by its plain text width; colour codes would break the alignment.
            t.row(s.name(), s.status().wireName(), s.image(), s.profile() == null ? null : s.profile().wireName(),
                    s.vcpus(), s.memoryMb(), s.kind().wireName(), s.createdAt());
        }
        t.print(console);
    }

    static void details(Console console, SandboxInfo s) {
        for (Map.Entry<String, Object> e : Json.sandbox(s).entrySet()) {
            Object v = e.getKey().equals("status") ? status(console, s) : e.getValue();
            console.out().printf("%-11s %s%n", e.getKey() + ":", v);
        }
    }
}
