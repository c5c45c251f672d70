package dev.agentkernel.docker.agent;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A container's stdio as a raw, hijacked {@code POST /containers/{id}/attach} connection: what we write is the
 * container's stdin, what we read is its stdout (Docker's multiplexed stream, 8-byte frame headers, demultiplexed
 * here). The container's stderr carries only the agent's own diagnostics, which are logged through
 * {@link AgentDiagnostics} (rate-limited, escaped, tagged with the sandbox).
 *
 * <p>Reads and writes use the {@link SocketChannel} directly (not {@code Channels.newInputStream}, whose read
 * holds a lock that blocks concurrent writes). Closing from any thread ends a pending read.
 */
final class AttachedStdio implements Closeable {
    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private final SocketChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
    private final AgentDiagnostics diagnostics;
    private final InputStream stdout = new Demux();
    private final OutputStream stdin = new Writer();

    private AttachedStdio(SocketChannel channel, String sandbox) {
        this.channel = channel;
        this.diagnostics = new AgentDiagnostics(sandbox);
        buf.flip();
    }

    /** Attaches to a running container's stdin, stdout and stderr (live stream only, no log replay). */
    static AttachedStdio open(EngineSocket engine, String containerId, String sandbox) throws IOException {
        SocketChannel ch = engine.connect();
        AttachedStdio a = new AttachedStdio(ch, sandbox);
        try {
            String head = "POST /containers/" + containerId + "/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
                    + "Host: " + engine.hostHeader() + "\r\n"
                    + "User-Agent: agentkernel\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n"
                    + "Content-Length: 0\r\n\r\n";
            a.writeFully(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            a.readHead();
            return a;
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
    }

    InputStream stdout() {
        return stdout;
    }

    OutputStream stdin() {
        return stdin;
    }

    private void readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            if (!buf.hasRemaining() && !fill()) {
                throw new EOFException("engine closed the attach connection before answering");
            }
            byte b = buf.get();
            head.write(b);
            if (head.size() > MAX_HEAD_BYTES) {
                throw new IOException("oversized response head from the engine");
            }
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String statusLine = text.substring(0, text.indexOf("\r\n"));
        if (!statusLine.contains(" 101 ") && !statusLine.contains(" 200 ")) {
            int n = Math.min(buf.remaining(), 300);
            byte[] body = new byte[n];
            buf.get(body);
            throw new IOException("attach answered " + statusLine + " " + new String(body, StandardCharsets.UTF_8).trim());
        }
    }

    private boolean fill() throws IOException {
        buf.clear();
        int n = channel.read(buf);
        buf.flip();
        return n > 0;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the engine notices the closed connection; nothing else to release
        }
        diagnostics.finish();
    }

    /** The stdout payload of Docker's multiplexed stream; stderr frames are logged, not returned. */
    private final class Demux extends InputStream {
        private final byte[] header = new byte[8];
        private long left;       // payload bytes left in the current frame
        private int stream;      // 1 stdout, 2 stderr
        private final byte[] skip = new byte[4096];

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (true) {
                if (left == 0) {
                    if (!readHeader()) {
                        return -1;
                    }
                    continue;
                }
                if (!buf.hasRemaining() && !fill()) {
                    throw new EOFException("attach stream ended inside a frame");
                }
                int n = (int) Math.min(Math.min(left, buf.remaining()), stream == 1 ? len : Integer.MAX_VALUE);
                if (stream == 1) {
                    buf.get(b, off, n);
                    left -= n;
                    return n;
                }
                n = Math.min(n, skip.length);
                buf.get(skip, 0, n);
                left -= n;
                diagnostics.accept(skip, 0, n);
            }
        }

        private boolean readHeader() throws IOException {
            int got = 0;
            while (got < 8) {
                if (!buf.hasRemaining() && !fill()) {
                    if (got == 0) {
                        return false;
                    }
                    throw new EOFException("attach stream ended inside a frame header");
                }
                int n = Math.min(buf.remaining(), 8 - got);
                buf.get(header, got, n);
                got += n;
            }
            stream = header[0];
            if (stream != 1 && stream != 2) {
                throw new IOException("attach stream of unknown type " + stream);
            }
            left = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            return true;
        }

        @Override
        public void close() {
            AttachedStdio.this.close();
        }
    }

    private final class Writer extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writeFully(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() {
            AttachedStdio.this.close();
        }
    }
}
