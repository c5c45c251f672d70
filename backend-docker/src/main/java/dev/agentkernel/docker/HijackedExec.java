package dev.agentkernel.docker;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One exec's stdio as a raw, hijacked {@code POST /exec/{id}/start} connection.
 *
 * <p>Why not docker-java's exec start: it never delivers EOF on stdin (a {@code cat} never ends). Here the
 * request is written by hand on a socket channel, stdin is sent and then the write side is shut down, which the
 * engine passes on to the process as EOF. The reply is Docker's multiplexed stream: frames of an 8-byte header
 * (stream type, three zero bytes, a big-endian payload length) followed by the payload, parsed here as they
 * arrive.
 *
 * <p>The channel is read and written with {@link SocketChannel#read}/{@link SocketChannel#write} directly, never
 * through {@code Channels.newInputStream}, whose reads hold a lock that would block a concurrent stdin write.
 * {@link #close()} from another thread unblocks a pending read (used by timeouts and cancellation).
 */
final class HijackedExec implements Closeable {
    /** Receives payload bytes: {@code stream} 1 is stdout, 2 is stderr. The array is reused after the call. */
    interface FrameSink {
        void accept(int stream, byte[] bytes, int offset, int length);
    }

    /** The engine refused to start the exec (e.g. 404 exec/container gone, 409 container not running). */
    static final class StartRefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        StartRefusedException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private final SocketChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

    private HijackedExec(SocketChannel channel) {
        this.channel = channel;
        in.flip(); // empty, in read mode
    }

    /** Connects, sends the start request and reads the upgrade response headers. */
    static HijackedExec start(EngineEndpoint endpoint, String execId) throws IOException {
        SocketChannel ch = endpoint.connect();
        HijackedExec h = new HijackedExec(ch);
        try {
            byte[] body = "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.US_ASCII);
            String head = "POST /exec/" + execId + "/start HTTP/1.1\r\n"
                    + "Host: " + endpoint.hostHeader() + "\r\n"
                    + "User-Agent: agentkernel\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            h.writeFully(head.getBytes(StandardCharsets.US_ASCII));
            h.writeFully(body);
            h.readResponseHead();
            return h;
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        }
    }

    private void readResponseHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // progress through "\r\n\r\n"
        while (matched < 4) {
            if (!in.hasRemaining() && !fill()) {
                throw new EOFException("engine closed the exec connection before answering");
            }
            byte b = in.get();
            head.write(b);
            if (head.size() > MAX_HEADER_BYTES) {
                throw new IOException("oversized response head from the engine");
            }
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String statusLine = text.substring(0, text.indexOf("\r\n"));
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length >= 2 ? parseStatus(parts[1]) : -1;
        if (status == 101 || status == 200) {
            return;
        }
        throw new StartRefusedException(status, "exec start answered " + statusLine + errorBody(text));
    }

    private static int parseStatus(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Best effort: the short JSON message of an error answer, bounded, without blocking for more. */
    private String errorBody(String head) {
        int max = Math.min(in.remaining(), 512);
        if (max <= 0) {
            return "";
        }
        byte[] b = new byte[max];
        in.get(b);
        return ": " + new String(b, StandardCharsets.UTF_8).trim();
    }

    void writeFully(byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** Sends EOF to the process's stdin. */
    void shutdownStdin() throws IOException {
        channel.shutdownOutput();
    }

    /**
     * Reads frames until the engine closes the stream (the process and everything holding its stdout/stderr
     * ended), passing payloads to {@code sink} as they arrive.
     */
    void readFrames(FrameSink sink) throws IOException {
        byte[] header = new byte[8];
        byte[] payload = new byte[32 * 1024];
        while (true) {
            if (!readFully(header, 0, 8, true)) {
                return;
            }
            int stream = header[0];
            long size = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                    | (header[7] & 0xff);
            while (size > 0) {
                int n = (int) Math.min(size, payload.length);
                readFully(payload, 0, n, false);
                sink.accept(stream, payload, 0, n);
                size -= n;
            }
        }
    }

    /** @return false on a clean EOF before the first byte (only when {@code eofOk}) */
    private boolean readFully(byte[] dst, int off, int len, boolean eofOk) throws IOException {
        int done = 0;
        while (done < len) {
            if (!in.hasRemaining() && !fill()) {
                if (done == 0 && eofOk) {
                    return false;
                }
                throw new EOFException("exec stream ended inside a frame");
            }
            int n = Math.min(in.remaining(), len - done);
            in.get(dst, off + done, n);
            done += n;
        }
        return true;
    }

    private boolean fill() throws IOException {
        in.clear();
        int n = channel.read(in);
        in.flip();
        return n > 0;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do: the engine notices the closed connection
        }
    }
}
