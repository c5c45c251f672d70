package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.docker.agent.AgentClient;
import dev.agentkernel.docker.agent.AgentDiagnostics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agents of sandbox pods. Each replica runs a session agent of its own in the pod, over the pod's {@code exec}
 * websocket ({@code /.agentkernel/agentkernel-agent}: channel 0 is its stdin, 1 its stdout, 2 its stderr, which
 * goes to the log through {@link AgentDiagnostics}); the pod's PID 1 is the same agent, doing init's work and
 * attached by nobody.
 *
 * <p>Why not attach to PID 1: an attached process's stdout goes to every attached client and their stdin messages
 * interleave in its one stdin pipe, so two replicas attached to one agent receive each other's frames (the strict
 * agent client rightly calls that a protocol violation) and can corrupt each other's frames. Measured with two
 * replicas on the simulated cluster (ReplicasIT); a private session per replica has neither problem. When the
 * session's stream ends (the replica closed it or died) the session agent kills its commands and exits; a command
 * of the sandbox's own uid can kill its session agent (it is not the namespace's init), which only ends that
 * connection: the next call opens a new one.
 *
 * <p>One {@link AgentClient} per pod, keyed by the pod's uid (a stopped and started named sandbox is a new pod),
 * connected on first use and again after the connection dropped. Thread-safe.
 *
 * <p>Everything about the channel is the agent client's: validated frames, a bounded writer, PING liveness; a
 * broken agent marks the sandbox broken until it is stopped or removed.
 */
final class PodAgents implements AutoCloseable {
    /** A scheduled pod's process can take a while to start after the pod is Ready on a loaded node. */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);

    private final KubernetesClient client;
    private final String namespace;
    private final Map<String, AgentClient> clients = new ConcurrentHashMap<>();
    private final Map<String, Object> connectLocks = new ConcurrentHashMap<>();
    private final Map<String, String> faults = new ConcurrentHashMap<>();

    PodAgents(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** The connected client of a running pod's agent; attaches and shakes hands when there is none. */
    AgentClient client(String podName, String podUid, String sandbox) {
        AgentClient c = clients.get(podUid);
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (connectLocks.computeIfAbsent(podUid, k -> new Object())) {
            c = clients.get(podUid);
            if (c != null && c.isOpen()) {
                return c;
            }
            String fault = fault(podUid);
            if (fault != null) {
                throw new AgentKernelException.ConflictException("Sandbox '" + sandbox + "' is broken: its agent "
                        + fault + ". Remove it, or stop and start it.");
            }
            if (c != null) {
                c.close();
            }
            ExecWatch watch;
            try {
                watch = client.pods().inNamespace(namespace).withName(podName).inContainer(PodSpecs.CONTAINER)
                        .redirectingInput().redirectingOutput().redirectingError().exec(AgentDelivery.EXECUTABLE);
            } catch (KubernetesClientException e) {
                throw new AgentKernelException.BackendUnavailableException("Cannot attach to the agent of sandbox '"
                        + sandbox + "': " + KubeErrors.message(e), e);
            }
            drainDiagnostics(watch.getError(), sandbox);
            try {
                c = AgentClient.connect(sandbox, watch.getOutput(), new MessageSized(watch.getInput()), watch::close,
                        HANDSHAKE_TIMEOUT);
            } catch (AgentKernelException e) {
                String why = AgentClient.faultOf(e);
                if (why != null) {
                    faults.put(podUid, why);
                }
                throw e;
            }
            clients.put(podUid, c);
            return c;
        }
    }

    /** Why the agent of this pod is broken, or null when it is not known to be. */
    String fault(String podUid) {
        String f = faults.get(podUid);
        if (f == null) {
            AgentClient c = clients.get(podUid);
            f = c == null ? null : c.fault();
            if (f != null) {
                faults.put(podUid, f);
            }
        }
        return f;
    }

    /** Drops the connection of a pod that is going away. */
    void forget(String podUid) {
        faults.remove(podUid);
        connectLocks.remove(podUid);
        AgentClient c = clients.remove(podUid);
        if (c != null) {
            c.close();
        }
    }

    int connections() {
        return (int) clients.values().stream().filter(AgentClient::isOpen).count();
    }

    /**
     * Cuts writes into websocket messages of at most {@link #MAX_MESSAGE} bytes: the agent client writes whole frames
     * (up to 256 KiB), and a message that big is refused by servers with the usual limits (Vert.x's, 256 KiB,
     * closed the connection), while kubectl itself sends stdin in 32 KiB pieces.
     */
    static final class MessageSized extends java.io.FilterOutputStream {
        static final int MAX_MESSAGE = 32 * 1024;

        MessageSized(java.io.OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i += MAX_MESSAGE) {
                out.write(b, i, Math.min(MAX_MESSAGE, off + len - i));
            }
        }
    }

    /** The agent's stderr, read on a small thread of its own for as long as the attach lasts. */
    private static void drainDiagnostics(InputStream err, String sandbox) {
        Thread t = new Thread(null, () -> {
            AgentDiagnostics diagnostics = new AgentDiagnostics(sandbox);
            byte[] buf = new byte[4096];
            try (err) {
                int n;
                while ((n = err.read(buf)) >= 0) {
                    diagnostics.accept(buf, 0, n);
                }
            } catch (IOException ignored) {
                // the attach ended
            } finally {
                diagnostics.finish();
            }
        }, "agentkernel-agent-stderr-" + sandbox, 128 * 1024);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        clients.values().forEach(AgentClient::close);
        clients.clear();
        faults.clear();
    }
}
