package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link Sandboxes} whose port operations reach this host's loopback (the "sandbox" is a server started by the
 * test), with the credit-based flow of {@link PortStream}: at most one window of data the caller has not consumed.
 * Every other operation goes to {@code rest}. {@code signs} says whether it answers {@code portUrl} (as a server
 * does) or {@code UNSUPPORTED} (as the embedded kernel does).
 */
final class LoopbackPorts {
    final Map<String, Map<Integer, ExposedPort>> exposed = new ConcurrentHashMap<>();
    /** Connections opened so far. */
    final java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    private final boolean signs;
    private final boolean connects;

    /** {@code signs}: answers portUrl, as a server; it connects too (unlike a server over HTTP). */
    LoopbackPorts(boolean signs) {
        this(signs, true);
    }

    /** {@code connects} false: openPort is UNSUPPORTED, as over HTTP. */
    LoopbackPorts(boolean signs, boolean connects) {
        this.signs = signs;
        this.connects = connects;
    }

    Sandboxes over(Sandboxes rest) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().contains("Port")) {
                Validation.sandboxName((String) args[0]);
            }
            switch (method.getName()) {
                case "exposePort":
                    Validation.port((Integer) args[1]);
                    return exposed.computeIfAbsent((String) args[0], n -> new TreeMap<>())
                            .computeIfAbsent((Integer) args[1], p -> new ExposedPort(p, Instant.now()));
                case "unexposePort":
                    if (ports((String) args[0]).remove((Integer) args[1]) == null) {
                        throw new AgentKernelException.NotFoundException("Port " + args[1] + " is not exposed");
                    }
                    return null;
                case "exposedPorts":
                    return List.copyOf(ports((String) args[0]).values());
                case "portUrl":
                    if (!signs) {
                        throw new AgentKernelException.UnsupportedException("no server to sign a URL");
                    }
                    require((String) args[0], (Integer) args[1]);
                    Duration ttl = args[2] == null ? Duration.ofHours(1) : (Duration) args[2];
                    return new PortUrl((Integer) args[1], URI.create("http://" + args[1] + "-" + args[0]
                            + ".localhost:18888/?agentkernel_token=t"), Instant.parse("2030-01-01T00:00:00Z").plus(ttl));
                case "openPort":
                    if (!connects) {
                        throw new AgentKernelException.UnsupportedException("openPort is not available over HTTP: "
                                + "use the proxy path");
                    }
                    require((String) args[0], (Integer) args[1]);
                    opened.incrementAndGet();
                    return connect((Integer) args[1], (PortListener) args[2]);
                default:
                    try {
                        return method.invoke(rest, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
            }
        };
        return (Sandboxes) Proxy.newProxyInstance(Sandboxes.class.getClassLoader(), new Class<?>[]{Sandboxes.class}, h);
    }

    private Map<Integer, ExposedPort> ports(String name) {
        return exposed.getOrDefault(name, Map.of());
    }

    private void require(String name, int port) {
        if (!ports(name).containsKey(port)) {
            throw new AgentKernelException.NotFoundException("Port " + port + " of " + name + " is not exposed");
        }
    }

    private static PortStream connect(int port, PortListener listener) {
        Socket socket;
        try {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
        } catch (IOException e) {
            listener.onClosed("connection refused");
            return new Stream(null, listener);
        }
        Stream s = new Stream(socket, listener);
        Thread reader = new Thread(s::read, "loopback-port-reader");
        reader.setDaemon(true);
        reader.start();
        return s;
    }

    /** A loopback connection with the window of {@link PortStream} on what it hands the listener. */
    static final class Stream implements PortStream {
        private final Socket socket;
        private final PortListener listener;
        private final Semaphore credit = new Semaphore(WINDOW);
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean wroteAll;
        private volatile boolean readAll;

        Stream(Socket socket, PortListener listener) {
            this.socket = socket;
            this.listener = listener;
            if (socket == null) {
                closed.set(true);
            }
        }

        void read() {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = socket.getInputStream();
                int n;
                while (true) {
                    credit.acquire(buffer.length); // never more than the window unconsumed
                    n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    credit.release(buffer.length - n);
                    listener.onData(Arrays.copyOf(buffer, n));
                }
                readAll = true;
                listener.onEnd();
                if (wroteAll) {
                    end(null);
                }
            } catch (IOException e) {
                end(closed.get() ? null : e.getMessage());
            } catch (InterruptedException e) {
                end("interrupted");
            }
        }

        @Override
        public void write(byte[] data) {
            if (closed.get() || wroteAll) {
                throw new AgentKernelException.ConflictException("the connection has ended");
            }
            try {
                socket.getOutputStream().write(data);
            } catch (IOException e) {
                end(e.getMessage());
                throw new AgentKernelException.ConflictException("the connection has ended");
            }
        }

        @Override
        public boolean writable(int bytes) {
            return true;
        }

        @Override
        public void onWritable(Runnable action) {
            action.run();
        }

        @Override
        public void consumed(long bytes) {
            credit.release((int) bytes);
        }

        @Override
        public void closeWrite() {
            if (!wroteAll && !closed.get()) {
                wroteAll = true;
                try {
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // Already closed.
                }
                if (readAll) {
                    end(null);
                }
            }
        }

        @Override
        public void close() {
            end(null);
        }

        private void end(String error) {
            if (closed.compareAndSet(false, true)) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // Nothing more to release.
                }
                listener.onClosed(error);
            }
        }
    }
}
