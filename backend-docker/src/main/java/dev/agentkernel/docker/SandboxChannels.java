package dev.agentkernel.docker;

import dev.agentkernel.api.ExecRequest;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.agentkernel.docker.agent.AgentSupport;

/**
 * Hands out the {@link SandboxChannel} of a running sandbox, by the transport its labels record
 * ({@value AgentSupport#EXEC_VIA_LABEL}, written once at create). A sandbox made by another process, or before a
 * restart, is rediscovered the same way.
 *
 * <p>The one shortcut: a sandbox whose agent connection is open is running (the engine ends the attach stream when
 * the container stops or goes), so its channel is handed out without asking the engine. A docker-exec sandbox
 * has no such sign and is inspected on each call; its container may have stopped or been replaced meanwhile.
 */
final class SandboxChannels {
    private final SandboxContainers containers;
    private final AgentSupport agents;
    private final ContainerExec execs;
    private final SandboxFiles files;

    SandboxChannels(SandboxContainers containers, AgentSupport agents, ContainerExec execs) {
        this.containers = containers;
        this.agents = agents;
        this.execs = execs;
        this.files = new SandboxFiles(execs);
    }

    /** The channel of a running sandbox; NOT_FOUND when there is none by that name, CONFLICT when it is stopped. */
    SandboxChannel of(String name) {
        String live = agents.liveContainer(name);
        if (live != null) {
            return new AgentChannel(agents, containers, live, name);
        }
        InspectContainerResponse c = containers.requireRunning(name);
        return AgentSupport.usesAgent(c.getConfig().getLabels()) ? new AgentChannel(agents, containers, c.getId(), name)
                : new DockerExecChannel(execs, files, c.getId(), name);
    }

    /**
     * The channel for {@code request}: {@link #of}, except that a {@code sudo} command in a sandbox whose agent is
     * not root goes through docker exec as root (the agent cannot become root; the engine can start a process as
     * any user, with the profile's capabilities). A detached command has no such way round: its agent must be root.
     */
    SandboxChannel forCommand(String name, ExecRequest request) {
        SandboxChannel channel = of(name);
        if (request.sudo() && channel instanceof AgentChannel agent && !agent.runsAsRoot()) {
            return new DockerExecChannel(execs, files, agent.containerId(), name);
        }
        return channel;
    }
}
