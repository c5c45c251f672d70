package dev.agentkernel.cli.commands;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", mixinStandardHelpOptions = true,
        header = "Print a shell completion script (bash or zsh).",
        description = {"Examples:",
                "  source <(agentkernel completion bash)",
                "  agentkernel completion zsh > \"${fpath[1]}/_agentkernel\"   # or: source <(agentkernel completion zsh)"})
public final class CompletionCommand extends BaseCommand {
    enum Shell { bash, zsh }

    @Parameters(index = "0", arity = "0..1", defaultValue = "bash", paramLabel = "SHELL",
            description = "bash or zsh (default: ${DEFAULT-VALUE}).")
    Shell shell;

    @Override
    protected int execute() {
        String script = AutoComplete.bash("agentkernel", spec.root().commandLine());
        if (shell == Shell.zsh) {
            // picocli's script is bash; zsh runs it through its bash completion emulation.
            console().out().println("autoload -U +X compinit && compinit");
            console().out().println("autoload -U +X bashcompinit && bashcompinit");
        }
        console().out().print(script);
        return 0;
    }
}
