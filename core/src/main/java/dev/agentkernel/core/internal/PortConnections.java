package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The kernel's open port connections: at most {@code maxPerSandbox} at once to one sandbox ({@code BUSY} beyond),
 * found again by sandbox and port so that unexposing a port (or removing its sandbox) ends them, and all closed
 * with the kernel. A slot is freed when its connection reports {@link PortListener#onClosed}.
 */
public final class PortConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortConnections.class);
    private final int maxPerSandbox;
    private final Map<String, Integer> perSandbox = new ConcurrentHashMap<>();
    private final Set<Tracked> open = ConcurrentHashMap.newKeySet();

    public PortConnections(int maxPerSandbox) {
        this.maxPerSandbox = maxPerSandbox;
    }

    /** Takes a slot in {@code sandbox}, connects with {@code opener} (given the tracking listener). */
    public PortStream open(String sandbox, int port, PortListener listener, Function<PortListener, PortStream> opener) {
        Integer now = perSandbox.merge(sandbox, 1, Integer::sum);
        if (now > maxPerSandbox) {
            release(sandbox);
            throw new AgentKernelException.BusyException("Sandbox '" + sandbox + "' has " + maxPerSandbox
                    + " port connections open, the most allowed (ports.max_connections_per_sandbox)");
        }
        Tracked t = new Tracked(sandbox, port, listener);
        open.add(t);
        try {
            t.stream = opener.apply(t);
        } catch (RuntimeException e) {
            t.free();
            throw e;
        }
        return t.stream;
    }

    /** Open connections to {@code sandbox} now. */
    public int openIn(String sandbox) {
        return perSandbox.getOrDefault(sandbox, 0);
    }

    /** Ends the connections to one port of a sandbox (it was unexposed). */
    public void closePort(String sandbox, int port) {
        open.stream().filter(t -> t.sandbox.equals(sandbox) && t.port == port).forEach(PortConnections::closeQuietly);
    }

    /** Ends every connection to a sandbox (it was removed). */
    public void closeSandbox(String sandbox) {
        open.stream().filter(t -> t.sandbox.equals(sandbox)).forEach(PortConnections::closeQuietly);
    }

    @Override
    public void close() {
        open.forEach(PortConnections::closeQuietly);
    }

    private void release(String sandbox) {
        perSandbox.computeIfPresent(sandbox, (k, v) -> v <= 1 ? null : v - 1);
    }

    private static void closeQuietly(Tracked t) {
        try {
            PortStream s = t.stream;
            if (s != null) {
                s.close();
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not close a port connection: {}", e.toString());
        }
    }

    /** Passes everything on; frees the slot once, on the connection's end. */
    private final class Tracked implements PortListener {
        final String sandbox;
        final int port;
        final PortListener listener;
        volatile PortStream stream;

        Tracked(String sandbox, int port, PortListener listener) {
            this.sandbox = sandbox;
            this.port = port;
            this.listener = listener;
        }

        void free() {
            if (open.remove(this)) {
                release(sandbox);
            }
        }

        @Override
        public void onData(byte[] data) {
            listener.onData(data);
        }

        @Override
        public void onEnd() {
            listener.onEnd();
        }

        @Override
        public void onClosed(String error) {
            free();
            listener.onClosed(error);
        }
    }
}
