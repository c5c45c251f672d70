package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.Sandboxes;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedded kernel (over the fake backend, whose ports are this host's loopback), counting its port
 * connections, and optionally seen as a server's client sees it: {@code signs} makes {@code portUrl} answer a URL
 * (the kernel alone answers {@code UNSUPPORTED}: it has no key to sign with), {@code connects} false makes
 * {@code openPort} {@code UNSUPPORTED}, as over HTTP.
 */
final class ServerLikePorts {
    static final Instant SIGNED_AT = Instant.parse("2030-01-01T00:00:00Z");
    /** Connections opened so far. */
    final AtomicInteger opened = new AtomicInteger();
    final Sandboxes sandboxes;

    ServerLikePorts(Sandboxes kernel, boolean signs, boolean connects) {
        sandboxes = (Sandboxes) Proxy.newProxyInstance(Sandboxes.class.getClassLoader(), new Class<?>[]{Sandboxes.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        return null; // each command closes what it got; the test closes the kernel
                    }
                    if (signs && method.getName().equals("portUrl")) {
                        int port = (Integer) args[1];
                        if (kernel.exposedPorts((String) args[0]).stream().noneMatch(p -> p.port() == port)) {
                            throw new AgentKernelException.NotFoundException("Port " + port + " is not exposed");
                        }
                        Duration ttl = args[2] == null ? Duration.ofHours(1) : (Duration) args[2];
                        return new PortUrl(port, URI.create("http://" + port + "-" + args[0]
                                + ".localhost:18888/?agentkernel_token=t"), SIGNED_AT.plus(ttl));
                    }
                    if (method.getName().equals("openPort")) {
                        if (!connects) {
                            throw new AgentKernelException.UnsupportedException("openPort is not available over "
                                    + "HTTP: use the proxy path");
                        }
                        opened.incrementAndGet();
                    }
                    try {
                        return method.invoke(kernel, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
