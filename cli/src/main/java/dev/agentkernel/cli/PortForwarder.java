package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.Sandboxes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * {@code agentkernel port --listen}: accepts local TCP connections and relays each over its own
 * {@link Sandboxes#openPort} connection to a sandbox's port, until closed. Two threads per connection (the CLI
 * serves one user): one reads the local socket and {@link PortStream#write}s, which waits while the sandbox side has
 * a full window, so a fast local sender is paced by the sandbox; the other writes what the sandbox sent to the
 * local socket and only then reports it {@linkplain PortStream#consumed consumed}, so a slow local reader pauses
 * the sandbox's sender (at most one window queued per connection) and nothing else.
 */
public final class PortForwarder implements AutoCloseable {
    /** What one read of the local socket sends at most. */
    private static final int CHUNK = 64 * 1024;

    private final Sandboxes sandboxes;
    private final String name;
    private final int port;
    private final ServerSocket server;
    private final Consumer<String> problems;
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger connections = new AtomicInteger();
    /** Why forwarding cannot work at all (openPort unsupported, e.g. over HTTP): ends the forwarder. */
    private volatile AgentKernelException fatal;

    private PortForwarder(Sandboxes sandboxes, String name, int port, ServerSocket server, Consumer<String> problems) {
        this.sandboxes = sandboxes;
        this.name = name;
        this.port = port;
        this.server = server;
        this.problems = problems;
    }

    /**
     * Listens on {@code listen} (port 0: a free one) and starts accepting.
     *
     * @param problems hears a line for each connection that failed (refused by the sandbox's port, busy...)
     */
    public static PortForwarder start(Sandboxes sandboxes, String name, int port, InetSocketAddress listen,
                                      Consumer<String> problems) {
        ServerSocket server = null;
        try {
            server = new ServerSocket();
            server.bind(listen);
        } catch (IOException e) {
            closeQuietly(server); // an unbound socket is still an open file
            throw new AgentKernelException.ConflictException("Cannot listen on " + listen.getHostString() + ":"
                    + listen.getPort() + ": " + e.getMessage());
        }
        PortForwarder f = new PortForwarder(sandboxes, name, port, server, problems);
        daemon(f::acceptLoop, "agentkernel-port-accept").start();
        return f;
    }

    /**
     * Parses {@code [HOST:]PORT} ({@code [::1]:8080} for IPv6); null or empty is a free port on 127.0.0.1.
     * Only a loopback host is the default: listening elsewhere opens the sandbox's port to the network.
     */
    public static InetSocketAddress parseListen(String text) {
        if (text == null || text.isBlank()) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        }
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int local;
        try {
            local = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            local = -1;
        }
        if (local < 0 || local > 65535 || host.isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("Invalid --listen '" + text
                    + "': use [HOST:]PORT, e.g. 8080 or 127.0.0.1:8080 (0: a free port)");
        }
        return new InetSocketAddress(host, local);
    }

    /** Where it listens (the port chosen when 0 was asked). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return connections.get();
    }

    /**
     * Waits until {@link #close} (Ctrl-C) or the listening socket fails; throws the {@code UNSUPPORTED} of
     * {@link Sandboxes#openPort} when that ended it (no connection can ever be made).
     */
    public void awaitClosed() throws InterruptedException {
        closed.await();
        if (fatal != null) {
            throw fatal;
        }
    }

    /** Stops listening and ends every open connection both ways. Idempotent. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing a listening socket fails only if it is already closed.
        }
        relays.forEach(Relay::close);
        closed.countDown();
    }

    private void acceptLoop() {
        try {
            while (!server.isClosed()) {
                Socket socket = server.accept();
                connections.incrementAndGet();
                open(socket);
            }
        } catch (IOException e) {
            if (!server.isClosed()) {
                problems.accept("stopped listening: " + e.getMessage());
            }
        } finally {
            close();
        }
    }

    private void open(Socket socket) {
        Relay relay = new Relay(socket);
        try {
            relay.stream = sandboxes.openPort(name, port, relay);
        } catch (AgentKernelException.UnsupportedException e) {
            closeQuietly(socket);
            fatal = e;
            close();
            return;
        } catch (AgentKernelException e) {
            // This connection only (BUSY, the sandbox stopped meanwhile): the next one may work.
            problems.accept("connection to " + name + ":" + port + " refused: " + e.getMessage());
            closeQuietly(socket);
            return;
        }
        relays.add(relay);
        // Started only now: the writer needs the stream to report consumed bytes; data that came before waits queued.
        daemon(relay::toSandbox, "agentkernel-port-in").start();
        daemon(relay::toLocal, "agentkernel-port-out").start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(java.io.Closeable socket) {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }

    /** One local connection and its sandbox side. */
    private final class Relay implements PortListener {
        /** The end of the sandbox side's data: shut down the local socket's output. */
        private static final Object END = new Object();

        private final Socket socket;
        /** What the sandbox sent and the local side has not yet taken: at most one window (credit-based flow). */
        private final BlockingQueue<Object> fromSandbox = new LinkedBlockingQueue<>();
        private volatile PortStream stream;

        Relay(Socket socket) {
            this.socket = socket;
        }

        // PortListener: never blocks, hands everything to toLocal.
        @Override
        public void onData(byte[] data) {
            fromSandbox.add(data);
        }

        @Override
        public void onEnd() {
            fromSandbox.add(END);
        }

        @Override
        public void onClosed(String error) {
            fromSandbox.add(new Closed(error));
        }

        /** Local socket to the sandbox; local end of file becomes a half close, so a request/answer still works. */
        void toSandbox() {
            byte[] buffer = new byte[CHUNK];
            try {
                InputStream in = socket.getInputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    stream.write(Arrays.copyOf(buffer, n));
                }
                stream.closeWrite();
            } catch (IOException | AgentKernelException e) {
                // The local side broke, or the sandbox side ended first (its close is already on its way to toLocal).
                stream.close();
            }
        }

        /** The sandbox's bytes to the local socket, each reported consumed once written. */
        void toLocal() {
            try {
                OutputStream out = socket.getOutputStream();
                while (true) {
                    Object next = fromSandbox.take();
                    if (next instanceof byte[] data) {
                        out.write(data);
                        out.flush();
                        stream.consumed(data.length);
                    } else if (next == END) {
                        socket.shutdownOutput();
                    } else {
                        String error = ((Closed) next).error();
                        if (error != null) {
                            problems.accept("connection to " + name + ":" + port + " ended: " + error);
                        }
                        break;
                    }
                }
            } catch (SocketException e) {
                // The local client went away: end the sandbox side too.
            } catch (IOException e) {
                problems.accept("local connection failed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        void close() {
            relays.remove(this);
            PortStream s = stream;
            if (s != null) {
                s.close();
            }
            closeQuietly(socket);
        }
    }

    private record Closed(String error) {
    }
}
