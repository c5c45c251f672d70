package dev.agentkernel.docker.engine;

import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.transport.SSLConfig;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the engine listens, for the raw connections docker-java cannot make for us (the hijacked exec and attach
 * streams, {@link HijackedStream}): a unix socket, plain TCP, or TCP with TLS. TLS is on exactly when docker-java
 * uses it, with the same {@link SSLContext} (built by docker-java's config from {@code DOCKER_TLS_VERIFY} and
 * {@code DOCKER_CERT_PATH}), and the engine's certificate must name the host we connect to, as docker-java checks.
 */
public final class EngineEndpoint {
    private static final int PLAIN_TCP_PORT = 2375;
    private static final int TLS_PORT = 2376;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
    /**
     * TLS 1.3 first, although docker-java's context is made for TLS 1.2 (its {@code ssl.protocol} default): only in
     * 1.3 is our close_notify (the process's stdin EOF) a half-close after which the engine's output still flows;
     * TLS 1.2 tells the peer to answer it by closing (RFC 5246 7.2.1; Go does not, the JDK does). Engines (Go)
     * speak 1.3; 1.2 stays for those that do not.
     */
    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    private static final List<String> TLS13_SUITES = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256");

    private final URI uri;
    private final SSLContext tls;

    private EngineEndpoint(URI uri, SSLContext tls) {
        this.uri = uri;
        this.tls = tls;
        String scheme = uri.getScheme();
        if (!"unix".equals(scheme) && !"tcp".equals(scheme) && !"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("unsupported Docker host scheme for exec and attach streams: " + uri);
        }
        if ("https".equals(scheme) && tls == null) {
            throw new IllegalArgumentException("Docker host " + uri + " needs TLS, but no TLS configuration is set");
        }
    }

    /** The engine docker-java's configuration points at, with its TLS settings. */
    public static EngineEndpoint of(DockerClientConfig config) {
        SSLConfig ssl = config.getSSLConfig();
        SSLContext context;
        try {
            context = ssl == null ? null : ssl.getSSLContext();
        } catch (Exception e) {
            throw new IllegalArgumentException("TLS configuration of the Docker engine unusable: " + e.getMessage(), e);
        }
        return new EngineEndpoint(config.getDockerHost(), context);
    }

    /** An endpoint without TLS (a unix socket or plain TCP). */
    public static EngineEndpoint plain(URI uri) {
        return new EngineEndpoint(uri, null);
    }

    public boolean tls() {
        return tls != null && !"unix".equals(uri.getScheme());
    }

    /** The HTTP Host header value; the engine ignores it on a unix socket but HTTP/1.1 requires one. */
    String hostHeader() {
        return "unix".equals(uri.getScheme()) ? "docker" : uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }

    /** A new connection to the engine. */
    Connection connect() throws IOException {
        if ("unix".equals(uri.getScheme())) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(Path.of(uri.getPath())));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new ChannelConnection(ch);
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : tls() ? TLS_PORT : PLAIN_TCP_PORT;
        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(uri.getHost(), port), CONNECT_TIMEOUT_MILLIS);
            raw.setTcpNoDelay(true);
            if (!tls()) {
                return new SocketConnection(raw, raw);
            }
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw, uri.getHost(), port, true);
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name this host
            params.setProtocols(PROTOCOLS.stream().filter(List.of(ssl.getSupportedProtocols())::contains)
                    .toArray(String[]::new));
            params.setCipherSuites(withTls13Suites(ssl));
            ssl.setSSLParameters(params);
            raw.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            ssl.startHandshake();
            raw.setSoTimeout(0);
            return new SocketConnection(ssl, raw);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * The suites the context enables, plus TLS 1.3's own: a context made for TLS 1.2 leaves those out, so the client
     * would offer 1.3 without a suite for it and end up on 1.2.
     */
    private static String[] withTls13Suites(SSLSocket ssl) {
        List<String> suites = new ArrayList<>();
        for (String s : ssl.getSupportedCipherSuites()) {
            if (TLS13_SUITES.contains(s)) {
                suites.add(s);
            }
        }
        for (String s : ssl.getEnabledCipherSuites()) {
            if (!suites.contains(s)) {
                suites.add(s);
            }
        }
        return suites.toArray(String[]::new);
    }

    @Override
    public String toString() {
        return uri + (tls() ? " (TLS)" : "");
    }

    /**
     * A byte stream to the engine that can be read and written at the same time from two threads, half-closed
     * (our EOF to the process's stdin) and closed from any thread (which ends a pending read).
     */
    interface Connection extends AutoCloseable {
        /** @return bytes read, or -1 at the end of the stream */
        int read(byte[] b, int off, int len) throws IOException;

        void write(byte[] b, int off, int len) throws IOException;

        /** No more data from us; the engine passes this on as EOF. Reading goes on. */
        void shutdownOutput() throws IOException;

        @Override
        void close();
    }

    /**
     * A unix socket through its channel, read and written with {@link SocketChannel#read}/{@link SocketChannel#write}
     * directly: the streams of {@code Channels.newInputStream} hold a lock while reading that would block a
     * concurrent write.
     */
    private static final class ChannelConnection implements Connection {
        private final SocketChannel channel;

        ChannelConnection(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return channel.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the engine notices the closed connection
            }
        }
    }

    /**
     * A TCP socket, plain or TLS ({@code socket} is then the TLS layer over {@code raw}). A socket's own streams read
     * and write independently. Shutting down a TLS socket's output sends close_notify, which the engine reads as
     * EOF. Close shuts the raw socket, so it never waits for a TLS write in progress and ends a pending read at once.
     */
    private static final class SocketConnection implements Connection {
        private final Socket socket;
        private final Socket raw;
        private final InputStream in;
        private final OutputStream out;

        SocketConnection(Socket socket, Socket raw) throws IOException {
            this.socket = socket;
            this.raw = raw;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            out.flush();
        }

        @Override
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                raw.close();
            } catch (IOException ignored) {
                // the engine notices the closed connection
            }
        }
    }
}
