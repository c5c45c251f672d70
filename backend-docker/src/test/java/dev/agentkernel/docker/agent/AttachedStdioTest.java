package dev.agentkernel.docker.agent;

import dev.agentkernel.docker.engine.EngineEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The attach stream against a fake engine on a unix socket: request, upgrade, demultiplexing, stdin. */
class AttachedStdioTest {
    @TempDir
    Path dir;

    private static EngineEndpoint engineAt(Path socket) {
        return EngineEndpoint.plain(URI.create("unix://" + socket));
    }

    private static byte[] frame(int stream, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + p.length).put((byte) stream).put(new byte[3]).putInt(p.length).put(p).array();
    }

    private static String readHead(SocketChannel ch) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            one.clear();
            if (ch.read(one) < 0) {
                break;
            }
            head.write(one.array()[0]);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void upgradesDemultiplexesStdoutAndForwardsStdin() throws Exception {
        Path socket = dir.resolve("engine.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<String[]> seen = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel ch = server.accept()) {
                    String head = readHead(ch);
                    ByteArrayOutputStream reply = new ByteArrayOutputStream();
                    reply.writeBytes("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    reply.writeBytes(frame(1, "abc"));
                    reply.writeBytes(frame(2, "agent diagnostics\n"));
                    reply.writeBytes(frame(1, "def"));
                    ch.write(ByteBuffer.wrap(reply.toByteArray()));
                    ByteBuffer in = ByteBuffer.allocate(3);
                    while (in.hasRemaining() && ch.read(in) >= 0) {
                        // read the stdin bytes
                    }
                    return new String[] {head, new String(in.array(), StandardCharsets.US_ASCII)};
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (AttachedStdio stdio = AttachedStdio.open(engineAt(socket), "c0ffee", "box")) {
                InputStream out = stdio.stdout();
                byte[] got = out.readNBytes(6);
                assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("abcdef");
                stdio.stdin().write("xyz".getBytes(StandardCharsets.US_ASCII));
                String[] server0 = seen.get(10, TimeUnit.SECONDS);
                assertThat(server0[0]).startsWith("POST /containers/c0ffee/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n")
                        .contains("Upgrade: tcp");
                assertThat(server0[1]).isEqualTo("xyz");
                assertThat(out.read()).as("end of stream after the engine closed").isEqualTo(-1);
            }
        }
    }

    @Test
    void refusalIsAnErrorWithTheEnginesAnswer() throws Exception {
        Path socket = dir.resolve("engine2.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture.runAsync(() -> {
                try (SocketChannel ch = server.accept()) {
                    readHead(ch);
                    ch.write(ByteBuffer.wrap(("HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n\r\n"
                            + "{\"message\":\"container is not running\"}").getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThatThrownBy(() -> AttachedStdio.open(engineAt(socket), "dead", "box"))
                    .isInstanceOf(IOException.class).hasMessageContaining("409");
        }
    }
}
