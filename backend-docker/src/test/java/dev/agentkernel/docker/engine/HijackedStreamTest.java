package dev.agentkernel.docker.engine;

import com.github.dockerjava.core.DefaultDockerClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The hijacked stream (exec start shown) against a scripted engine on a temporary unix socket, directly and behind a
 * TLS proxy (no Docker).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HijackedStreamTest {
    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;
    @TempDir
    Path certs;

    HijackedStreamTest() throws IOException {
        dir = Files.createTempDirectory("hijack");
        socket = dir.resolve("engine.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    @AfterEach
    void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }

    private EngineEndpoint endpoint() {
        return EngineEndpoint.plain(URI.create("unix://" + socket));
    }

    /** Accepts one connection, reads the request head and the stdin until EOF, then answers with {@code reply}. */
    private CompletableFuture<String[]> engine(byte[]... reply) {
        return CompletableFuture.supplyAsync(() -> {
            try (SocketChannel c = server.accept()) {
                ByteArrayOutputStream in = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                // Answer the upgrade as soon as the head and body arrived, then collect stdin until EOF.
                String head;
                while (true) {
                    buf.clear();
                    int n = c.read(buf);
                    in.write(buf.array(), 0, Math.max(n, 0));
                    String text = in.toString(StandardCharsets.ISO_8859_1);
                    int end = text.indexOf("\r\n\r\n");
                    if (end >= 0 && text.length() >= end + 4 + 28) {
                        head = text.substring(0, end + 4 + 28);
                        break;
                    }
                    if (n < 0) {
                        return new String[] {text, ""};
                    }
                }
                byte[] all = in.toByteArray();
                ByteArrayOutputStream stdin = new ByteArrayOutputStream();
                stdin.write(all, head.length(), all.length - head.length());
                for (byte[] part : reply) {
                    c.write(ByteBuffer.wrap(part));
                    if (part.length > 0 && part[0] == 'H' && part.length > 12 && new String(part, 9, 3,
                            StandardCharsets.US_ASCII).equals("101")) {
                        // after the upgrade: read stdin to EOF before sending frames
                        while (true) {
                            buf.clear();
                            int n = c.read(buf);
                            if (n < 0) {
                                break;
                            }
                            stdin.write(buf.array(), 0, n);
                        }
                    }
                }
                return new String[] {head, stdin.toString(StandardCharsets.UTF_8)};
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] frame(int stream, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + p.length);
        b.put((byte) stream).put(new byte[3]).putInt(p.length).put(p);
        return b.array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void sendsTheUpgradeRequestDeliversStdinWithEofAndDemultiplexesFrames() throws Exception {
        exchange(endpoint());
    }

    /**
     * The same exchange with the engine behind TLS: the client certificate from {@code DOCKER_CERT_PATH} is shown,
     * and our EOF (a TLS close_notify) still reaches the engine as the end of stdin.
     */
    @Test
    void overTlsTheSameExchangeWorks() throws Exception {
        TestCertificates ca = new TestCertificates("agentkernel test CA");
        try (TlsEngineProxy proxy = new TlsEngineProxy(ca.serverContext(ca.server("127.0.0.1")), socket)) {
            EngineEndpoint tls = tlsEndpoint(proxy, ca.writeCertPath(certs.resolve("client"), ca.client()));
            assertThat(tls.tls()).isTrue();
            exchange(tls);
            assertThat(proxy.upgrades()).containsExactly("POST /exec/abc123/start HTTP/1.1");
            assertThat(proxy.upgradeProtocols()).containsExactly("TLSv1.3");
        }
    }

    /** Without the host check, anyone holding any certificate of the CA could pose as the engine. */
    @Test
    void anEngineWhoseCertificateNamesAnotherHostIsRefused() throws Exception {
        TestCertificates ca = new TestCertificates("agentkernel test CA");
        try (TlsEngineProxy proxy = new TlsEngineProxy(ca.serverContext(ca.server("elsewhere.invalid")), socket)) {
            EngineEndpoint tls = tlsEndpoint(proxy, ca.writeCertPath(certs.resolve("client"), ca.client()));
            assertThat(catchThrowableOfType(javax.net.ssl.SSLHandshakeException.class,
                    () -> HijackedStream.open(tls, "/exec/x/start", "{}"))).isNotNull();
            assertThat(proxy.upgrades()).isEmpty();
        }
    }

    @Test
    void anEngineSignedByAnotherCaIsRefused() throws Exception {
        TestCertificates ours = new TestCertificates("agentkernel test CA");
        TestCertificates other = new TestCertificates("someone else's CA");
        try (TlsEngineProxy proxy = new TlsEngineProxy(other.serverContext(other.server("127.0.0.1")), socket)) {
            EngineEndpoint tls = tlsEndpoint(proxy, ours.writeCertPath(certs.resolve("client"), ours.client()));
            assertThat(catchThrowableOfType(javax.net.ssl.SSLHandshakeException.class,
                    () -> HijackedStream.open(tls, "/exec/x/start", "{}"))).isNotNull();
            assertThat(proxy.upgrades()).isEmpty();
        }
    }

    /** As docker-java reads {@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY=1} and {@code DOCKER_CERT_PATH}. */
    static EngineEndpoint tlsEndpoint(TlsEngineProxy proxy, Path certPath) {
        return EngineEndpoint.of(DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(proxy.dockerHost()).withDockerTlsVerify(true)
                .withDockerCertPath(certPath.toString()).build());
    }

    private void exchange(EngineEndpoint endpoint) throws Exception {
        byte[] out1 = frame(1, "hello ");
        byte[] err = frame(2, "oops\n");
        byte[] out2 = frame(1, "world\n");
        // Frames split at awkward places: inside a header and inside a payload.
        byte[] all = ByteBuffer.allocate(out1.length + err.length + out2.length).put(out1).put(err).put(out2).array();
        CompletableFuture<String[]> engine = engine(
                ascii("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                        + "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"),
                java.util.Arrays.copyOfRange(all, 0, 3), java.util.Arrays.copyOfRange(all, 3, 11),
                java.util.Arrays.copyOfRange(all, 11, all.length));
        List<String> got = new ArrayList<>();
        int[] last = {-1};
        try (HijackedStream h = HijackedStream.open(endpoint, "/exec/abc123/start", "{\"Detach\":false,\"Tty\":false}")) {
            h.write("input".getBytes(StandardCharsets.UTF_8));
            h.shutdownOutput();
            // A frame's payload may come in several pieces (as the reads split it, e.g. TLS records): label a stream
            // only where it changes, so the check is of what each stream got, in order.
            h.readFrames((stream, b, off, len) -> {
                got.add((stream == last[0] ? "" : stream + ":") + new String(b, off, len, StandardCharsets.UTF_8));
                last[0] = stream;
            });
        }
        String[] seen = engine.get(10, TimeUnit.SECONDS);
        assertThat(seen[0]).startsWith("POST /exec/abc123/start HTTP/1.1\r\n")
                .contains("Connection: Upgrade\r\n", "Upgrade: tcp\r\n", "Content-Length: 28\r\n")
                .endsWith("{\"Detach\":false,\"Tty\":false}");
        assertThat(seen[1]).as("stdin, then EOF").isEqualTo("input");
        assertThat(String.join("", got)).isEqualTo("1:hello 2:oops\n1:world\n");
    }

    @Test
    void aRefusedStartCarriesTheStatus() throws Exception {
        CompletableFuture<String[]> engine = engine(ascii("HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
                + "Content-Length: 45\r\n\r\n{\"message\":\"Container abc is not running\"}\n"));
        HijackedStream.RefusedException e = catchThrowableOfType(HijackedStream.RefusedException.class,
                () -> HijackedStream.open(endpoint(), "/exec/abc/start", "{\"Detach\":false,\"Tty\":false}"));
        assertThat(e.status()).isEqualTo(409);
        assertThat(e.getMessage()).contains("not running");
        engine.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aStreamCutInsideAFrameIsAnError() throws Exception {
        byte[] f = frame(1, "truncated payload");
        CompletableFuture<String[]> engine = engine(ascii("HTTP/1.1 101 UPGRADED\r\n\r\n"),
                java.util.Arrays.copyOfRange(f, 0, f.length - 4));
        try (HijackedStream h = HijackedStream.open(endpoint(), "/exec/x/start", "{\"Detach\":false,\"Tty\":false}")) {
            h.shutdownOutput();
            assertThat(catchThrowableOfType(IOException.class, () -> h.readFrames((s, b, o, l) -> { })))
                    .hasMessageContaining("inside a frame");
        }
        engine.get(10, TimeUnit.SECONDS);
    }
}
