package dev.agentkernel.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.docker.agent.AgentClient;
import dev.agentkernel.docker.agent.AgentSupport;

import java.util.Optional;
import java.util.function.Function;

/** A sandbox reached through its in-sandbox agent ({@link AgentSupport} holds the connection). */
final class AgentChannel implements SandboxChannel {
    private final AgentSupport agents;
    private final SandboxContainers containers;
    private final String containerId;
    private final String name;

    AgentChannel(AgentSupport agents, SandboxContainers containers, String containerId, String name) {
        this.agents = agents;
        this.containers = containers;
        this.containerId = containerId;
        this.name = name;
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener, Cancellation cancellation) {
        return call(agent -> agent.exec(request, listener, cancellation));
    }

    @Override
    public FileContent readFile(String path, long maxBytes) {
        return new FileContent(path, call(agent -> agent.readFile(path, maxBytes)));
    }

    @Override
    public void writeFile(FileContent file) {
        call(agent -> {
            agent.writeFile(file.path(), file.content());
            return null;
        });
    }

    @Override
    public void deleteFile(String path) {
        call(agent -> {
            agent.deleteFile(path);
            return null;
        });
    }

    /**
     * Runs a call on the sandbox's agent. A lost or refused connection usually means the sandbox stopped or went
     * away meanwhile: that is then reported as such (CONFLICT / NOT_FOUND), as on the docker exec path.
     */
    private <T> T call(Function<AgentClient, T> call) {
        try {
            return call.apply(agents.client(containerId, name));
        } catch (AgentKernelException e) {
            if (e.code() != ErrorCode.BACKEND_UNAVAILABLE) {
                throw e;
            }
            Optional<InspectContainerResponse> now = containers.find(name);
            if (now.isEmpty() || !now.get().getId().equals(containerId)) {
                throw AgentKernelException.sandboxNotFound(name);
            }
            if (!Boolean.TRUE.equals(now.get().getState().getRunning())) {
                throw containers.whyNotRunning(name, now.get());
            }
            throw e;
        }
    }
}
