package dev.agentkernel.docker.agent;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.docker.engine.EngineEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Docker backend's side of the in-sandbox agent: prepares containers to run it (volume mount, entrypoint,
 * open stdin, a label recording the choice), checks it answers after start, and keeps one {@link AgentClient}
 * per running container (connected lazily, reconnected after a restart). Thread-safe.
 *
 * <p>The choice is per sandbox and recorded in the label {@value #EXEC_VIA_LABEL}, so a later process talks to
 * a sandbox the way it was made. With mode {@code auto} a sandbox whose agent cannot start or answer is made
 * again without it and uses {@code docker exec}.
 *
 * <p>A sandbox whose agent broke the protocol or stopped answering is marked broken (per container, until it is
 * stopped or removed): later calls fail at once with CONFLICT, {@link #fault} says why, and the backend shows it
 * as neither running nor stopped, so a warm pool drops it.
 */
public final class AgentSupport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentSupport.class);
    /** Settings key: {@code auto} (default), {@code agent} (fail rather than fall back) or {@code docker-exec}. */
    public static final String MODE_PROPERTY = "docker.exec";
    public static final String EXEC_VIA_LABEL = "dev.agentkernel.exec-via";
    public static final String VIA_AGENT = "agent";
    public static final String VIA_DOCKER_EXEC = "docker-exec";
    /** Generous: a loaded engine can take a while to start a container's process after start returns. */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /** How commands should reach new sandboxes. */
    public enum Mode {
        AUTO, AGENT, DOCKER_EXEC;

        public static Mode parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            for (Mode m : values()) {
                if (m.wireName().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new AgentKernelException.InvalidRequestException("Invalid " + MODE_PROPERTY + " '" + value
                    + "': must be one of auto, agent, docker-exec");
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final EngineEndpoint engine;
    private final Mode mode;
    private final AgentVolume volume;
    private final String unavailableReason;
    private final Map<String, AgentClient> clients = new ConcurrentHashMap<>();
    private final Map<String, Object> connectLocks = new ConcurrentHashMap<>();
    /** sandbox name -> container id, for names whose agent connection this process holds. */
    private final Map<String, String> containerOf = new ConcurrentHashMap<>();
    /** container id -> why its agent is broken. */
    private final Map<String, String> faults = new ConcurrentHashMap<>();

    public AgentSupport(DockerClient client, EngineEndpoint engine, Mode mode) {
        this.engine = engine;
        this.mode = mode;
        AgentVolume v = null;
        String reason = null;
        if (mode == Mode.DOCKER_EXEC) {
            reason = "disabled by " + MODE_PROPERTY + "=docker-exec";
        } else if (!AgentBinary.isBundled()) {
            reason = "the agent binary is not in this build";
        } else {
            v = new AgentVolume(client, AgentBinary.bundled());
        }
        if (reason != null && mode == Mode.AGENT) {
            throw new IllegalStateException("agent exec requested, but " + reason);
        }
        this.volume = v;
        this.unavailableReason = reason;
    }

    public Mode mode() {
        return mode;
    }

    /** Whether new sandboxes get the agent. */
    public boolean enabled() {
        return volume != null;
    }

    /** Why new sandboxes do not get the agent, or null when they do. */
    public String unavailableReason() {
        return unavailableReason;
    }

    /** Whether a container made with these labels runs the agent. */
    public static boolean usesAgent(Map<String, String> labels) {
        return labels != null && VIA_AGENT.equals(labels.get(EXEC_VIA_LABEL));
    }

    /** The {@code execVia} a container with these labels shows. */
    public static String execVia(Map<String, String> labels) {
        return usesAgent(labels) ? VIA_AGENT : VIA_DOCKER_EXEC;
    }

    /**
     * Turns a container create into one that runs the agent as its PID 1: the volume is mounted read-only, stdin
     * is kept open for our attach, container logs are off (the stdout carries protocol frames, not logs), and
     * there is no docker-init. The agent does init's work itself, and only as PID 1 is it out of the commands'
     * reach: an init above it would hold the channel's pipes as its own fds 0/1/2, dumpable and same-uid (see the
     * agent's header comment). Nothing about the profile changes: same user, capabilities, limits and network.
     * Throws when the volume cannot be prepared.
     */
    public void prepare(CreateContainerCmd cmd, String image) {
        if (volume == null) {
            throw new IllegalStateException("agent not available: " + unavailableReason);
        }
        volume.ensure(image);
        HostConfig hc = cmd.getHostConfig() == null ? HostConfig.newHostConfig() : cmd.getHostConfig();
        List<Mount> mounts = new ArrayList<>(hc.getMounts() == null ? List.of() : hc.getMounts());
        mounts.add(volume.mount());
        hc.withMounts(mounts).withLogConfig(new LogConfig(LogConfig.LoggingType.NONE)).withInit(false);
        Map<String, String> labels = new LinkedHashMap<>(cmd.getLabels() == null ? Map.of() : cmd.getLabels());
        labels.put(EXEC_VIA_LABEL, VIA_AGENT);
        cmd.withHostConfig(hc)
                .withLabels(labels)
                .withEntrypoint(AgentVolume.EXECUTABLE)
                .withCmd(List.of())
                .withStdinOpen(true)
                .withStdInOnce(false)
                .withAttachStdin(true)
                .withTty(false);
    }

    /** Connects to a freshly started agent sandbox; returns false (and logs why) when its agent does not answer. */
    public boolean verify(String containerId, String sandbox) {
        try {
            client(containerId, sandbox);
            return true;
        } catch (AgentKernelException e) {
            LOG.warn("sandbox '{}': the agent did not answer ({}); falling back to docker exec", sandbox, e.getMessage());
            return false;
        }
    }

    /**
     * The connected client of an agent sandbox; connects (attach + handshake) when there is none or the connection
     * dropped. A broken sandbox (see {@link #fault}) is refused at once with CONFLICT.
     */
    public AgentClient client(String containerId, String sandbox) {
        AgentClient c = clients.get(containerId);
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (connectLocks.computeIfAbsent(containerId, k -> new Object())) {
            // one connect per container at a time; other containers connect in parallel
            c = clients.get(containerId);
            if (c != null && c.isOpen()) {
                return c;
            }
            String fault = fault(containerId);
            if (fault != null) {
                throw new AgentKernelException.ConflictException("Sandbox '" + sandbox + "' is broken: its agent "
                        + fault + ". Remove it, or stop and start it.");
            }
            if (c != null) {
                c.close();
            }
            AttachedStdio stdio;
            try {
                stdio = AttachedStdio.open(engine, containerId, sandbox);
            } catch (IOException e) {
                throw new AgentKernelException.BackendUnavailableException("Cannot reach the agent of sandbox '"
                        + sandbox + "': " + e.getMessage(), e);
            }
            try {
                c = AgentClient.connect(sandbox, stdio.stdout(), stdio.stdin(), stdio, HANDSHAKE_TIMEOUT);
            } catch (AgentKernelException e) {
                String why = AgentClient.faultOf(e);
                if (why != null) {
                    faults.put(containerId, why);
                }
                throw e;
            }
            clients.put(containerId, c);
            containerOf.put(sandbox, containerId);
            return c;
        }
    }

    /**
     * Why the agent of this container is broken (it broke the protocol, or stopped answering or taking data), or
     * null when it is not known to be. Cleared when the container is stopped or removed ({@link #forget}).
     */
    public String fault(String containerId) {
        String f = faults.get(containerId);
        if (f == null) {
            AgentClient c = clients.get(containerId);
            f = c == null ? null : c.fault();
            if (f != null) {
                faults.put(containerId, f);
            }
        }
        return f;
    }

    /**
     * The container id of a sandbox whose agent connection is open, or null. An open attach stream means the
     * container is running: Docker ends it when the container stops or is removed, so callers may skip an inspect.
     */
    public String liveContainer(String sandbox) {
        String id = containerOf.get(sandbox);
        AgentClient c = id == null ? null : clients.get(id);
        return c != null && c.isOpen() ? id : null;
    }

    /** Drops the connection (and a broken mark) of a container that is stopping or going away. */
    public void forget(String containerId) {
        faults.remove(containerId);
        AgentClient c = clients.remove(containerId);
        connectLocks.remove(containerId);
        containerOf.values().removeIf(containerId::equals);
        if (c != null) {
            c.close();
        }
    }

    /** Open agent connections (for figures). */
    public int connections() {
        return (int) clients.values().stream().filter(AgentClient::isOpen).count();
    }

    @Override
    public void close() {
        clients.values().forEach(AgentClient::close);
        clients.clear();
        containerOf.clear();
        faults.clear();
    }
}
