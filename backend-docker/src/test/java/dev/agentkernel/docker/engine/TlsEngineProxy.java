package dev.agentkernel.docker.engine;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TLS-terminating proxy on a loopback port in front of an engine's unix socket: what a TLS engine looks like to a
 * client (a client certificate is required, as with {@code --tlsverify}). Each connection is forwarded byte for byte,
 * half-closes included (the client's close_notify becomes a shutdown of the unix socket's write side). It records the
 * request line of every connection that asked for an upgrade, so a test sees which streams went through it.
 *
 * <p>Unlike a Go engine, the JDK answers a TLS 1.2 close_notify by closing its side too: a client that half-closes
 * over 1.2 loses the answer here. Our client offers 1.3, where the half-close is one-sided on both.
 */
public final class TlsEngineProxy implements AutoCloseable {
    private final SSLServerSocket server;
    private final Path engineSocket;
    private final List<String> upgrades = new CopyOnWriteArrayList<>();
    private final List<String> protocols = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private interface Socket extends AutoCloseable {
        @Override
        void close();
    }

    public TlsEngineProxy(SSLContext context, Path engineSocket) throws IOException {
        this.engineSocket = engineSocket;
        this.server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        acceptor = new Thread(this::acceptLoop, "tls-engine-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The {@code DOCKER_HOST} of this proxy. */
    public String dockerHost() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    /** Request lines of the upgraded (hijacked) connections so far. */
    public List<String> upgrades() {
        return List.copyOf(upgrades);
    }

    /** The TLS protocol version of each upgraded connection. */
    public List<String> upgradeProtocols() {
        return List.copyOf(protocols);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            SSLSocket client;
            try {
                client = (SSLSocket) server.accept();
            } catch (IOException e) {
                return;
            }
            Thread t = new Thread(() -> serve(client), "tls-engine-proxy-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SSLSocket client) {
        SocketChannel engine;
        try {
            client.startHandshake();
            engine = SocketChannel.open(StandardProtocolFamily.UNIX);
            engine.connect(UnixDomainSocketAddress.of(engineSocket));
        } catch (IOException e) {
            closeQuietly(client);
            return;
        }
        open.add(() -> {
            closeQuietly(client);
            closeQuietly(engine);
        });
        Thread back = new Thread(() -> engineToClient(engine, client), "tls-engine-proxy-back");
        back.setDaemon(true);
        back.start();
        clientToEngine(client, engine);
    }

    private void clientToEngine(SSLSocket client, SocketChannel engine) {
        byte[] buf = new byte[16 * 1024];
        StringBuilder head = new StringBuilder(); // of the first request only
        try {
            // not closed when done: closing a TLS socket's stream closes the socket, and the answer still flows back
            InputStream in = client.getInputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (head != null) {
                    head.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    int end = head.indexOf("\r\n\r\n");
                    if (end >= 0 || head.length() > 8192) {
                        if (end >= 0 && head.substring(0, end).contains("Upgrade: tcp")) {
                            upgrades.add(head.substring(0, head.indexOf("\r\n")));
                            protocols.add(client.getSession().getProtocol());
                        }
                        head = null;
                    }
                }
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    engine.write(b);
                }
            }
            engine.shutdownOutput(); // the client's EOF (close_notify), passed on
        } catch (IOException e) {
            closeQuietly(engine);
        }
    }

    private void engineToClient(SocketChannel engine, SSLSocket client) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try {
            OutputStream out = client.getOutputStream();
            while (engine.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                out.flush();
                buf.clear();
            }
        } catch (IOException e) {
            // the client went away
        }
        closeQuietly(client);
        closeQuietly(engine);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        open.forEach(Socket::close);
    }
}
