package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.BatchFile;
import dev.agentkernel.cli.Json;
import dev.agentkernel.cli.JsonOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

@Command(name = "batch", mixinStandardHelpOptions = true,
        header = "Run many commands in parallel, each in its own temporary sandbox.",
        description = {
                "FILE is JSON ({\"commands\":[{\"command\":[\"echo\",\"hi\"]}, ...]}, as POST /batch/run) or text with one command a line (quoted like a shell; '#' comments). '-' reads standard input. Results are printed in input order. Exit status 0 when every command exited 0, else 1.",
                "",
                "Examples:",
                "  printf 'echo hello\\npython3 -c \"print(2+2)\"\\n' | agentkernel batch -",
                "  agentkernel batch jobs.json --json"})
public final class BatchCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "The commands (JSON or one a line); '-' for stdin.")
    String file;

    @Mixin
    JsonOption json;

    @Override
    protected int execute(Sandboxes client) throws IOException {
        String text;
        try {
            text = file.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
            throw new AgentKernelException.NotFoundException("No such batch file: " + file);
        }
        List<RunRequest> requests = BatchFile.parse(text, true);
        List<BatchOutcome> outcomes = client.batch(requests);
        boolean allOk = outcomes.stream().allMatch(o -> o.result() != null && o.result().exec().exitCode() == 0);
        if (json.json()) {
            console().out().println(Json.write(Map.of("results", outcomes.stream().map(Json::batchItem).toList())));
            return allOk ? 0 : 1;
        }
        for (int i = 0; i < outcomes.size(); i++) {
            BatchOutcome o = outcomes.get(i);
            String cmd = BatchFile.shellJoin(requests.get(i).command());
            if (o.error() != null) {
                console().out().println(console().style("@|bold,red == " + (i + 1) + ": |@") + cmd + "  (error: "
                        + o.error().getMessage() + ")");
                continue;
            }
            int exit = o.result().exec().exitCode();
            String status = o.result().exec().timedOut() ? "timed out" : "exit " + exit;
            String colour = exit == 0 && !o.result().exec().timedOut() ? "green" : "red";
            console().out().println(console().style("@|bold," + colour + " == " + (i + 1) + ": |@") + cmd + "  ("
                    + status + ", " + o.result().exec().duration().toMillis() + " ms)");
            String output = o.result().exec().output();
            console().out().print(output);
            if (!output.isEmpty() && !output.endsWith("\n")) {
                console().out().println();
            }
        }
        return allOk ? 0 : 1;
    }
}
