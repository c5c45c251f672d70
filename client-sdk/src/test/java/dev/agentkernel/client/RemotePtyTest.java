package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The client's terminal against a hand-written WebSocket peer on loopback. */
class RemotePtyTest {
    private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final PtyListener IGNORED = new PtyListener() {
        @Override
        public void onOutput(byte[] data) {
        }

        @Override
        public void onExit(int exitCode) {
        }
    };

    /**
     * A caller that stops waiting while the connection is still being made (here: interrupted) must not leave the
     * connection open once it completes: the server would keep the terminal open, unseen, until its idle timeout.
     */
    @Test
    void aConnectionCompletedAfterTheCallerGaveUpIsDropped() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            URI base = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
            CompletableFuture<Throwable> opening = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    RemotePty.open(HttpClient.newHttpClient(), base, "sandboxes/box/pty", PtyRequest.shell(24, 80),
                            IGNORED, new ObjectMapper(), Duration.ofSeconds(30), header -> { });
                    opening.complete(null);
                } catch (Throwable t) {
                    opening.complete(t);
                }
            });
            caller.start();
            try (Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                String key = null;
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    if (line.regionMatches(true, 0, "Sec-WebSocket-Key:", 0, 18)) {
                        key = line.substring(18).trim();
                    }
                }
                caller.interrupt();
                assertThat(opening.get(10, TimeUnit.SECONDS)).isInstanceOf(AgentKernelException.class);

                String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + WS_GUID).getBytes(StandardCharsets.ISO_8859_1)));
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                int read;
                try {
                    read = s.getInputStream().read(); // the client's end: EOF, or a reset
                } catch (SocketException reset) {
                    read = -1;
                }
                assertThat(read).as("the client dropped the connection").isEqualTo(-1);
            }
        }
    }
}
