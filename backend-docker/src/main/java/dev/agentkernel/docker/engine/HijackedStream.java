package dev.agentkernel.docker.engine;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A connection the engine hijacked for a process's stdio: an HTTP request with {@code Upgrade: tcp} written by hand
 * (exec start, container attach), then Docker's multiplexed stream: frames of an 8-byte header (stream type, three
 * zero bytes, a big-endian payload length) and the payload, parsed here as bytes arrive. What we write is the
 * process's stdin; {@link #shutdownOutput} is its EOF.
 *
 * <p>Why by hand: docker-java never delivers EOF on stdin (a {@code cat} never ends) and cannot attach with our own
 * reader. The one place that speaks this, for the exec path and for the agent's attach alike, over a unix socket,
 * plain TCP or TLS ({@link EngineEndpoint}).
 *
 * <p>Reading (one thread) and writing (another) may overlap; {@link #close()} from any thread ends a pending read.
 */
public final class HijackedStream implements Closeable {
    /** Stream types of the multiplexed stream. */
    public static final int STDOUT = 1;
    public static final int STDERR = 2;

    /** Receives payload bytes of {@code stream}; the array is reused after the call. */
    public interface FrameSink {
        void accept(int stream, byte[] bytes, int offset, int length);
    }

    /** The engine answered the request with an error (e.g. 404 exec or container gone, 409 not running). */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or -1 when the answer had none we could read. */
        public int status() {
            return status;
        }
    }

    private static final int MAX_HEAD_BYTES = 64 * 1024;
    /** Generous: the engine answers an exec start or an attach at once unless it is overloaded. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final ScheduledExecutorService ANSWER_GUARD = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agentkernel-engine-answer-guard");
        t.setDaemon(true);
        return t;
    });
    private final EngineEndpoint.Connection connection;
    private final byte[] buf = new byte[32 * 1024];
    private int pos;
    private int limit;
    private final byte[] header = new byte[8];
    private long left; // payload bytes left in the current frame
    private int stream;

    private HijackedStream(EngineEndpoint.Connection connection) {
        this.connection = connection;
    }

    /**
     * Connects, sends {@code POST <path>} with {@code body} as JSON (none when null), asking for the upgrade, and
     * reads the answer's head. A refusal is a {@link RefusedException} with the status.
     */
    public static HijackedStream open(EngineEndpoint endpoint, String path, String jsonBody) throws IOException {
        HijackedStream h = new HijackedStream(endpoint.connect());
        // An engine that takes the request but never answers would hold the caller forever: the connection is cut.
        ScheduledFuture<?> guard = ANSWER_GUARD.schedule(h::close, ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        try {
            byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\n"
                    + "Host: " + endpoint.hostHeader() + "\r\n"
                    + "User-Agent: agentkernel\r\n"
                    + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
            byte[] request = new byte[headBytes.length + body.length];
            System.arraycopy(headBytes, 0, request, 0, headBytes.length);
            System.arraycopy(body, 0, request, headBytes.length, body.length);
            h.write(request, 0, request.length);
            h.readResponseHead();
        } catch (IOException | RuntimeException e) {
            h.close();
            if (!guard.cancel(false)) {
                throw unanswered(path, e);
            }
            throw e;
        }
        if (!guard.cancel(false)) {
            h.close();
            throw unanswered(path, null);
        }
        return h;
    }

    private static IOException unanswered(String path, Exception cause) {
        return new IOException("engine did not answer " + path + " in " + ANSWER_TIMEOUT.toSeconds() + " s", cause);
    }

    private void readResponseHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0; // progress through "\r\n\r\n"
        while (matched < 4) {
            if (pos == limit && !fill()) {
                throw new EOFException("engine closed the connection before answering");
            }
            byte b = buf[pos++];
            head.write(b);
            if (head.size() > MAX_HEAD_BYTES) {
                throw new IOException("oversized response head from the engine");
            }
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        String statusLine = text.substring(0, text.indexOf("\r\n"));
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length >= 2 ? parseStatus(parts[1]) : -1;
        if (status != 101 && status != 200) {
            throw new RefusedException(status, "engine answered " + statusLine + errorBody());
        }
    }

    private static int parseStatus(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Best effort: the short JSON message of an error answer, bounded, without blocking for more. */
    private String errorBody() {
        int n = Math.min(limit - pos, 512);
        if (n <= 0) {
            return "";
        }
        String body = new String(buf, pos, n, StandardCharsets.UTF_8).trim();
        pos += n;
        return ": " + body;
    }

    /** Writes all of {@code bytes} to the process's stdin. */
    public void write(byte[] bytes, int offset, int length) throws IOException {
        connection.write(bytes, offset, length);
    }

    public void write(byte[] bytes) throws IOException {
        write(bytes, 0, bytes.length);
    }

    /** Sends EOF to the process's stdin; reading goes on. */
    public void shutdownOutput() throws IOException {
        connection.shutdownOutput();
    }

    /**
     * Moves to the next frame with payload and returns its stream type ({@link #STDOUT}, {@link #STDERR}), or -1
     * when the engine closed the stream between frames. Payload left of the current frame is an error to skip.
     */
    public int nextFrame() throws IOException {
        if (left > 0) {
            throw new IllegalStateException(left + " payload bytes of the current frame not read");
        }
        do {
            if (!readFully(header, 8, true)) {
                return -1;
            }
            stream = header[0];
            left = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                    | (header[7] & 0xff);
        } while (left == 0);
        return stream;
    }

    /** Payload bytes of the current frame not read yet. */
    public long frameRemaining() {
        return left;
    }

    /**
     * Reads up to {@code length} payload bytes of the current frame, at least one (blocking for it), as few as have
     * arrived.
     */
    public int readPayload(byte[] dst, int offset, int length) throws IOException {
        if (left == 0 || length == 0) {
            return 0;
        }
        if (pos == limit && !fill()) {
            throw new EOFException("stream ended inside a frame");
        }
        int n = (int) Math.min(Math.min(left, limit - pos), length);
        System.arraycopy(buf, pos, dst, offset, n);
        pos += n;
        left -= n;
        return n;
    }

    /**
     * Reads frames until the engine closes the stream (the process and everything holding its stdout/stderr
     * ended), passing payloads to {@code sink} as they arrive.
     */
    public void readFrames(FrameSink sink) throws IOException {
        byte[] payload = new byte[32 * 1024];
        int type;
        while ((type = nextFrame()) >= 0) {
            while (left > 0) {
                int n = readPayload(payload, 0, payload.length);
                sink.accept(type, payload, 0, n);
            }
        }
    }

    /** @return false on a clean EOF before the first byte (only when {@code eofOk}) */
    private boolean readFully(byte[] dst, int len, boolean eofOk) throws IOException {
        int done = 0;
        while (done < len) {
            if (pos == limit && !fill()) {
                if (done == 0 && eofOk) {
                    return false;
                }
                throw new EOFException("stream ended inside a frame");
            }
            int n = Math.min(limit - pos, len - done);
            System.arraycopy(buf, pos, dst, done, n);
            pos += n;
            done += n;
        }
        return true;
    }

    private boolean fill() throws IOException {
        int n = connection.read(buf, 0, buf.length);
        pos = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }

    @Override
    public void close() {
        connection.close();
    }
}
