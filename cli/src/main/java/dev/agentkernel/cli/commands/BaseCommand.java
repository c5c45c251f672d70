package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.AgentKernelCli;
import dev.agentkernel.cli.Console;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * What every subcommand shares: the console (all output goes through the command line's writers, so tests
 * capture it) and the top command's settings. A subcommand returns its exit status; failures are thrown as
 * {@link dev.agentkernel.api.AgentKernelException}s and mapped by the one exit-code table.
 */
public abstract class BaseCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    private Console console;

    protected AgentKernelCli root() {
        return (AgentKernelCli) spec.root().userObject();
    }

    protected Console console() {
        if (console == null) {
            console = new Console(spec.commandLine(), root().verbose());
        }
        return console;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } finally {
            spec.commandLine().getOut().flush();
            spec.commandLine().getErr().flush();
        }
    }

    protected abstract int execute() throws Exception;
}
