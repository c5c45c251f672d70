package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.Sandboxes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cat", mixinStandardHelpOptions = true,
        header = "Print a text file of a sandbox.",
        description = {"Binary files are refused: copy them out with 'agentkernel cp NAME:PATH FILE'.", "",
                "Example:", "  agentkernel cat dev /etc/os-release"})
public final class CatCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "Absolute path of the file inside the sandbox.")
    String path;

    @Override
    protected int execute(Sandboxes client) {
        FileContent file = client.readFile(name, path);
        String text = file.utf8().orElseThrow(() -> new AgentKernelException.InvalidRequestException(
                "'" + file.path() + "' is not UTF-8 text (" + file.size() + " bytes); copy it out with: agentkernel cp "
                        + name + ":" + file.path() + " ."));
        console().out().print(text);
        return 0;
    }
}
