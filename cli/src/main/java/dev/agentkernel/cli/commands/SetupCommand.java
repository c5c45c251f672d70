package dev.agentkernel.cli.commands;

import dev.agentkernel.cli.setup.EngineSetup;
import picocli.CommandLine.Command;

@Command(name = "setup", mixinStandardHelpOptions = true,
        header = "Make this machine ready: a running Docker engine and the default local images.",
        description = {
                "Finds the engine ($DOCKER_HOST, else /var/run/docker.sock); starts it when it is installed but not running; installs it (apt-get install docker.io) when run as root on Debian/Ubuntu, saying so; otherwise prints the exact commands to run. Then builds the local images offline from the distribution's own packages: agentkernel/busybox:local (~2 MB) and agentkernel/python:local (Debian minbase + python3, about a minute, once). These are the offline alternatives of the image table (busybox:1.36 and python:3.12-alpine), used when those cannot be pulled. As root it also installs the host firewall of the sandbox network (our own iptables chains, matching only its bridge), which keeps sandboxes away from the host's services and private networks. Every command that needs the engine runs this by itself when something is missing. Each step checks first: running it again does nothing.",
                "",
                "Example:",
                "  agentkernel setup && agentkernel doctor"})
public final class SetupCommand extends BaseCommand {
    @picocli.CommandLine.Option(names = "--remove-firewall",
            description = "Remove the sandbox network's host firewall (chains AGENTKERNEL-INPUT/-FORWARD) and stop.")
    boolean removeFirewall;

    @picocli.CommandLine.Option(names = "--runsc", description = "Also install gVisor (Debian's runsc) and register it with "
            + "the engine as runtime 'runsc' (ptrace platform, the network of the sandbox's own namespace; the engine reloads, "
            + "nothing restarts). "
            + "Use it with [profiles.NAME] runtime = \"runsc\".")
    boolean runsc;

    @picocli.CommandLine.Option(names = "--remove-runsc", description = "Unregister the runsc runtime from the engine and stop.")
    boolean removeRunsc;

    @Override
    protected int execute() {
        EngineSetup setup = new EngineSetup(root().env());
        if (removeRunsc) {
            setup.runScriptOrFail(console(), "--runsc-remove");
            console().out().println("removed: the runsc runtime from the engine");
            return 0;
        }
        if (removeFirewall) {
            setup.runScriptOrFail(console(), "--firewall-remove");
            console().out().println("removed: the sandbox network firewall (run agentkernel setup to install it again)");
            return 0;
        }
        setup.run(console());
        if (runsc) {
            setup.runScriptOrFail(console(), "--with-runsc");
        }
        console().out().println("ready: engine at " + setup.probe().endpoint() + ", images "
                + String.join(", ", setup.defaultImages()));
        return 0;
    }
}
