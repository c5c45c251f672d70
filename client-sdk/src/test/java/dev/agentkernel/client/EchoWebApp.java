package dev.agentkernel.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A sandbox's web app with a WebSocket on the same port (as a page opens one to its own host): {@code GET} of a
 * page in {@code pages}, any upgrade a WebSocket that echoes each text or binary message, and {@link #HOLD}, answered
 * only once a message was echoed: a page that loads it keeps its load event (and so a headless browser's dump)
 * waiting for the echo. Written here (a handshake and RFC 6455 frames, no extensions), one thread per connection.
 */
final class EchoWebApp implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    static final String HOLD = "/hold";

    /** The text messages the app received, in order. */
    final java.util.List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.CountDownLatch echoed = new java.util.concurrent.CountDownLatch(1);

    private final ServerSocket server;
    private final Map<String, String> pages;

    EchoWebApp(Map<String, String> pages) throws IOException {
        this.pages = Map.copyOf(pages);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "echo-web-app");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "echo-web-app-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String[] lines = head(in).split("\r\n");
            String path = lines[0].split(" ")[1];
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            if ("websocket".equalsIgnoreCase(headers.get("upgrade"))) {
                String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((headers.get("sec-websocket-key") + GUID).getBytes(StandardCharsets.US_ASCII)));
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                echo(new DataInputStream(in), out);
                return;
            }
            if (path.startsWith(HOLD)) {
                echoed.await(20, java.util.concurrent.TimeUnit.SECONDS);
                Thread.sleep(300); // the echo frame went out first; give the page's handler a moment
            }
            String page = pages.get(path.replaceFirst("\\?.*", ""));
            byte[] body = (page == null ? "not here" : page).getBytes(StandardCharsets.UTF_8);
            out.write(((page == null ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") + "\r\nContent-Type: text/html; "
                    + "charset=utf-8\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | NoSuchAlgorithmException | RuntimeException gone) {
            // A connection that broke off: nothing to answer.
        }
    }

    /** Frames in (masked, from the browser), the same message out (unmasked); close answered with close. */
    private void echo(DataInputStream in, OutputStream out) throws IOException {
        while (true) {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            int opcode = b0 & 0x0f;
            long length = b1 & 0x7f;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] mask = new byte[4];
            if ((b1 & 0x80) != 0) {
                in.readFully(mask);
            }
            byte[] payload = new byte[Math.toIntExact(length)];
            in.readFully(payload);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
            if (opcode == 0x8) {
                frame(out, 0x8, new byte[0]);
                return;
            }
            if (opcode == 0x1) {
                received.add(new String(payload, StandardCharsets.UTF_8));
            }
            frame(out, opcode == 0x9 ? 0xA : opcode, payload);
            echoed.countDown();
        }
    }

    private static void frame(OutputStream out, int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | opcode);
        if (payload.length < 126) {
            f.write(payload.length);
        } else {
            f.write(126);
            f.write(payload.length >> 8);
            f.write(payload.length & 0xff);
        }
        f.write(payload);
        out.write(f.toByteArray());
        out.flush();
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended in the request head");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
