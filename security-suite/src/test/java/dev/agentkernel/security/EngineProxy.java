package dev.agentkernel.security;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A unix-socket relay in front of the shared Docker engine, so that an engine outage can be simulated for one
 * server under test without touching the engine that other test runs use: {@link #down()} closes every relayed
 * connection and refuses new ones; {@link #up()} relays again.
 */
final class EngineProxy implements AutoCloseable {
    private final Path socket;
    private final Path engine;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile boolean down;
    private volatile boolean closed;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    EngineProxy(Path dir) throws IOException {
        this.socket = dir.resolve("engine.sock");
        this.engine = Path.of("/var/run/docker.sock");
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.acceptor = new Thread(this::acceptLoop, "engine-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String dockerHost() {
        return "unix://" + socket;
    }

    void down() {
        down = true;
        for (SocketChannel c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        open.clear();
    }

    void up() {
        down = false;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                if (down) {
                    client.close();
                    continue;
                }
                SocketChannel upstream = SocketChannel.open(UnixDomainSocketAddress.of(engine));
                open.add(client);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        to.write(buf);
                    }
                    buf.clear();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // both gone
                }
            } finally {
                open.remove(from);
            }
        }, "engine-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        down();
        server.close();
        Files.deleteIfExists(socket);
    }
}
