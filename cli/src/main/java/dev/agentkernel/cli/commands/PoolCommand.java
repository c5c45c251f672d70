package dev.agentkernel.cli.commands;

import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import dev.agentkernel.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "pool", mixinStandardHelpOptions = true,
        header = "Show the warm pool's figures (size, hits, misses, claim latency).",
        description = {"Most useful with --url: an embedded one-shot process keeps no warm pool.", "",
                "Example:", "  agentkernel pool --url http://127.0.0.1:18888 --json"})
public final class PoolCommand extends ClientCommand {
    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) {
        PoolStats p = client.poolStats();
        if (json.json()) {
            console().out().println(Json.write(Json.pool(p)));
            return 0;
        }
        var out = console().out();
        out.printf("enabled:        %s%n", p.enabled());
        out.printf("warm:           %d (target %d per key, at most %d)%n", p.size(), p.targetPerKey(), p.max());
        out.printf("hits/misses:    %d/%d%n", p.hits(), p.misses());
        out.printf("created/failed: %d/%d%n", p.creations(), p.failures());
        out.printf("claim latency:  p50 %.1f ms, p99 %.1f ms%n", p.claimLatencyP50Ms(), p.claimLatencyP99Ms());
        if (!p.keys().isEmpty()) {
            out.println();
            Table t = new Table("IMAGE", "PROFILE", "VCPUS", "MEMORY_MB", "WARM", "TARGET", "HITS", "MISSES");
            p.keys().forEach(k -> t.row(k.image(), k.profile(), k.vcpus(), k.memoryMb(), k.size(), k.target(), k.hits(),
                    k.misses()));
            t.print(console());
        }
        return 0;
    }
}
