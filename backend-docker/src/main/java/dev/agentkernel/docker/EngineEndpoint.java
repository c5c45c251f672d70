package dev.agentkernel.docker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Where the engine listens, for the raw connections docker-java cannot make for us (the hijacked exec
 * stream, see {@link HijackedExec}). A unix socket or plain TCP; TLS endpoints are not supported on that
 * path and say so.
 */
record EngineEndpoint(URI uri) {

    SocketChannel connect() throws IOException {
        String scheme = uri.getScheme();
        if ("unix".equals(scheme)) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(Path.of(uri.getPath())));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return ch;
        }
        if ("tcp".equals(scheme) || "http".equals(scheme)) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.connect(new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 2375 : uri.getPort()));
                ch.socket().setTcpNoDelay(true);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return ch;
        }
        throw new IOException("unsupported Docker host scheme for exec streams: " + scheme);
    }

    /** The Host header value; the engine ignores it on a unix socket but HTTP/1.1 requires one. */
    String hostHeader() {
        return "unix".equals(uri.getScheme()) ? "docker" : uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }
}
