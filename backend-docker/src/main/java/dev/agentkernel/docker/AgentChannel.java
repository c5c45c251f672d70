package dev.agentkernel.docker;

import dev.agentkernel.api.DetachedCommand;
import dev.agentkernel.docker.agent.AgentProtocol;
import java.util.Comparator;
import java.util.List;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.docker.agent.AgentClient;
import dev.agentkernel.docker.agent.AgentSupport;

import java.util.Optional;
import java.util.function.Function;

/** A sandbox reached through its in-sandbox agent ({@link AgentSupport} holds the connection). */
final class AgentChannel implements SandboxChannel {
    /** How long a lost connection waits for the engine to say whether the container stopped. */
    private static final long SETTLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
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

    @Override
    public PtySession openPty(PtyRequest request, PtyListener listener) {
        return call(agent -> agent.openPty(request, listener));
    }

    @Override
    public PortStream openPort(int port, PortListener listener) {
        return call(agent -> agent.openPort(port, listener));
    }

    /** Whether the agent, and so every command it starts, runs as root: then sudo needs nothing more. */
    boolean runsAsRoot() {
        return call(agent -> agent.hello().uid() == 0);
    }

    String containerId() {
        return containerId;
    }

    @Override
    public DetachedCommand execDetached(String id, ExecRequest request) {
        if (request.sudo() && !runsAsRoot()) {
            throw new AgentKernelException.UnsupportedException("Sandbox '" + name + "' runs its agent as a non-root "
                    + "user: a detached command cannot run as root there (run it without sudo)");
        }
        int pid = call(agent -> agent.detachedStart(id, request));
        return new DetachedCommand(id, name, request.argv(), pid, DetachedCommand.Status.RUNNING, null,
                java.time.Instant.now(), false);
    }

    @Override
    public List<DetachedCommand> detachedList() {
        return call(agent -> agent.detachedList(null)).stream().map(this::detached)
                .sorted(Comparator.comparing(DetachedCommand::startedAt).thenComparing(DetachedCommand::id))
                .toList();
    }

    @Override
    public byte[] detachedLogs(String id, DetachedCommand.Stream stream) {
        return call(agent -> agent.detachedLogs(id, stream == DetachedCommand.Stream.STDERR ? 1 : 0,
                Integer.MAX_VALUE - 16));
    }

    @Override
    public DetachedCommand detachedKill(String id) {
        return call(agent -> {
            agent.detachedKill(id);
            return detached(agent.detachedList(id).get(0));
        });
    }

    /** The agent's record in the API's terms: {@code completed} is exit 0 of its own, anything else {@code failed}. */
    private DetachedCommand detached(AgentProtocol.DetachedInfo i) {
        Integer code = i.exitCode();
        DetachedCommand.Status status = i.running() ? DetachedCommand.Status.RUNNING
                : code == 0 && !i.has(AgentProtocol.EXIT_CANCELLED) ? DetachedCommand.Status.COMPLETED
                : DetachedCommand.Status.FAILED;
        return new DetachedCommand(i.id(), name, i.argv(), i.pid(), status, code,
                java.time.Instant.ofEpochMilli(i.startedMs()), i.has(AgentProtocol.EXIT_TRUNCATED));
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
            // The agent is PID 1: its connection ends a moment before the engine reports the container stopped,
            // so a stop that races the call (the disk watch, docker stop) is asked about for a little while.
            long deadline = System.nanoTime() + SETTLE_NANOS;
            while (true) {
                Optional<InspectContainerResponse> now = containers.find(name);
                if (now.isEmpty() || !now.get().getId().equals(containerId)) {
                    throw AgentKernelException.sandboxNotFound(name);
                }
                if (!Boolean.TRUE.equals(now.get().getState().getRunning())) {
                    throw containers.whyNotRunning(name, now.get());
                }
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
