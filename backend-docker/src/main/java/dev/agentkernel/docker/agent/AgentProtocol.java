package dev.agentkernel.docker.agent;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The wire format spoken with {@code agentkernel-agent} (see the header comment of its C source, which is
 * the reference). A frame is a u32 big-endian payload length, a u8 type, a u32 request id and the payload.
 * This class only encodes payloads; {@link AgentFrame} reads and writes whole frames.
 */
public final class AgentProtocol {
    public static final int VERSION = 4;
    public static final int HEADER_BYTES = 9;
    /** The agent refuses larger frames, and so does the client; data is sent in chunks well below this. */
    public static final int MAX_PAYLOAD = 1 << 20;
    public static final int CHUNK = 256 * 1024;
    /**
     * Stdin bytes of one exec the client may have sent but the agent not yet acknowledged (STDIN_ACK). A command
     * that does not read its stdin thus holds at most this much in the agent, and the agent never has to stop
     * reading the channel (which would stall every other call of the sandbox).
     */
    public static final int STDIN_WINDOW = 1 << 20;
    /**
     * Port connections open at once on one agent (MAX_PORTS in the agent); the client refuses more itself (BUSY), the
     * agent's own check is the backstop.
     */
    public static final int MAX_PORTS = 64;
    /** ERROR messages are cut to this many characters before they reach a caller or a log. */
    static final int MAX_MESSAGE_CHARS = 512;

    // client -> agent
    public static final byte HELLO = 0x01;
    public static final byte EXEC = 0x02;
    public static final byte STDIN = 0x03;
    public static final byte KILL = 0x04;
    public static final byte FILE_READ = 0x05;
    public static final byte FILE_WRITE = 0x06;
    public static final byte FILE_DATA = 0x07;
    public static final byte FILE_DELETE = 0x08;
    public static final byte PING = 0x09;
    public static final byte PTY = 0x20;
    public static final byte RESIZE = 0x21;
    // agent -> client
    public static final byte R_HELLO = (byte) 0x81;
    public static final byte R_STDOUT = (byte) 0x82;
    public static final byte R_STDERR = (byte) 0x83;
    public static final byte R_EXIT = (byte) 0x84;
    public static final byte R_ERROR = (byte) 0x85;
    public static final byte R_FILE_DATA = (byte) 0x86;
    public static final byte R_DONE = (byte) 0x87;
    public static final byte R_PONG = (byte) 0x88;
    public static final byte R_STDIN_ACK = (byte) 0x89;
    // detached commands: requests 0x10-0x1f, replies 0x90-0x9f
    public static final byte DETACHED_START = 0x10;
    public static final byte DETACHED_LIST = 0x11;
    public static final byte DETACHED_LOGS = 0x12;
    public static final byte DETACHED_KILL = 0x13;
    public static final byte R_DETACHED_INFO = (byte) 0x90;
    public static final byte R_DETACHED_LOG = (byte) 0x91;
    // ports: requests 0x30-0x3f, replies 0xb0-0xbf (windows of PortStream.WINDOW both ways)
    public static final byte PORT = 0x30;
    public static final byte PORT_DATA = 0x31;
    public static final byte PORT_ACK = 0x32;
    public static final byte PORT_CLOSE = 0x33;
    public static final byte R_PORT = (byte) 0xb0;
    public static final byte R_PORT_DATA = (byte) 0xb1;
    public static final byte R_PORT_ACK = (byte) 0xb2;

    /** EXIT flags. */
    public static final int EXIT_TIMED_OUT = 1;
    public static final int EXIT_TRUNCATED = 2;
    public static final int EXIT_CANCELLED = 4;

    /** ERROR stages. */
    public static final int STAGE_PROTOCOL = 0;
    public static final int STAGE_CHDIR = 1;
    public static final int STAGE_EXEC = 2;
    public static final int STAGE_FILE = 3;
    public static final int STAGE_SPAWN = 4;
    public static final int STAGE_PORT = 5;

    /** Linux errno values the client interprets. */
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int EPERM = 1;
    public static final int ENAMETOOLONG = 36;
    public static final int ELOOP = 40;
    public static final int EDQUOT = 122;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int ENODEV = 19;
    public static final int EAGAIN = 11;

    private AgentProtocol() {
    }

    public static byte[] hello() {
        return ByteBuffer.allocate(4).putInt(VERSION).array();
    }

    /** EXEC payload: flags, timeout ms, cap, argv, env entries as K=V, workdir (empty for the default). */
    public static byte[] exec(List<String> argv, Map<String, String> env, String workdir, long timeoutMs,
                              long maxOutputBytes, boolean stdinFollows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        putInt(out, stdinFollows ? 1 : 0);
        putLong(out, Math.max(0, timeoutMs));
        putLong(out, Math.max(0, maxOutputBytes));
        putInt(out, argv.size());
        argv.forEach(a -> putString(out, a));
        putInt(out, env.size());
        env.forEach((k, v) -> putString(out, k + "=" + v));
        putString(out, workdir == null ? "" : workdir);
        return out.toByteArray();
    }

    /** PTY payload: the terminal's size, then an EXEC payload (no timeout, no output cap, stdin follows). */
    public static byte[] pty(int rows, int cols, List<String> argv, Map<String, String> env, String workdir) {
        byte[] exec = exec(argv, env, workdir, 0, 0, true);
        return ByteBuffer.allocate(8 + exec.length).putInt(rows).putInt(cols).put(exec).array();
    }

    public static byte[] resize(int rows, int cols) {
        return ByteBuffer.allocate(8).putInt(rows).putInt(cols).array();
    }

    public static byte[] fileRead(String path, long maxBytes) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + p.length).putLong(maxBytes).put(p).array();
    }

    public static byte[] fileWrite(String path, int mode) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + p.length).putInt(mode).put(p).array();
    }

    public static byte[] path(String path) {
        return path.getBytes(StandardCharsets.UTF_8);
    }

    /** DSTART payload: the detached id, then an EXEC payload (the agent gives the command no stdin). */
    public static byte[] detachedStart(String id, List<String> argv, Map<String, String> env, String workdir,
                                       long timeoutMs, long maxOutputBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        putString(out, id);
        byte[] exec = exec(argv, env, workdir, timeoutMs, maxOutputBytes, false);
        out.write(exec, 0, exec.length);
        return out.toByteArray();
    }

    /** DLIST and DKILL payload: the id (empty lists every detached command). */
    public static byte[] detachedId(String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        putString(out, id == null ? "" : id);
        return out.toByteArray();
    }

    /** DLOGS payload: the stream (0 stdout, 1 stderr) and the id. */
    public static byte[] detachedLogs(String id, int stream) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        out.write(stream);
        putString(out, id);
        return out.toByteArray();
    }

    /** PORT payload: the port (1-65535) as a u32. */
    public static byte[] port(int port) {
        return ByteBuffer.allocate(4).putInt(port).array();
    }

    /** PACK payload (both ways): a running total of bytes, consumed by the client or written to the socket. */
    public static byte[] portAck(long total) {
        return ByteBuffer.allocate(8).putLong(total).array();
    }

    public static long decodePortAck(byte[] p) throws Violation {
        expectLength("PACK", p, 8);
        long total = ByteBuffer.wrap(p).getLong();
        if (total < 0) {
            throw new Violation("PACK of " + total + " bytes");
        }
        return total;
    }

    /** Frames that open a request (the agent learns the id from them). */
    static boolean opensRequest(byte type) {
        return type == HELLO || type == EXEC || type == PTY || type == FILE_READ || type == FILE_WRITE || type == FILE_DELETE
                || type == DETACHED_START || type == DETACHED_LIST || type == DETACHED_LOGS || type == DETACHED_KILL
                || type == PORT;
    }

    /**
     * Decoded DINFO: one detached command as the agent keeps it. {@code state} 0 running, 1 exited ({@code code}
     * is the status), 2 killed by signal {@code code}; {@code flags} as EXIT's.
     */
    public record DetachedInfo(String id, int pid, int state, int flags, int code, long startedMs, List<String> argv) {
        public static DetachedInfo decode(byte[] p) throws Violation {
            try {
                ByteBuffer b = ByteBuffer.wrap(p);
                String id = getString(b, 64);
                int pid = b.getInt();
                int state = b.get() & 0xff;
                int flags = b.get() & 0xff;
                int code = b.getInt();
                long started = b.getLong();
                int argc = b.getInt();
                if (state > 2 || pid <= 0 || code < 0 || code > 255 || argc < 1 || argc > 65536 || started < 0
                        || !id.matches("[A-Za-z0-9_-]{1,64}")) {
                    throw new Violation("DINFO with state " + state + ", pid " + pid + ", code " + code);
                }
                List<String> argv = new java.util.ArrayList<>(Math.min(argc, 64));
                for (int i = 0; i < argc; i++) {
                    argv.add(getString(b, MAX_PAYLOAD));
                }
                if (b.hasRemaining()) {
                    throw new Violation("DINFO with " + b.remaining() + " bytes after its fields");
                }
                return new DetachedInfo(id, pid, state, flags, code, started, List.copyOf(argv));
            } catch (java.nio.BufferUnderflowException e) {
                throw new Violation("DINFO of " + p.length + " bytes is cut short");
            }
        }

        public boolean running() {
            return state == 0;
        }

        /** Exit status, or 128+N for signal N; null while running. */
        public Integer exitCode() {
            return state == 0 ? null : state == 2 ? 128 + code : code;
        }

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }

        private static String getString(ByteBuffer b, int max) throws Violation {
            int n = b.getInt();
            if (n < 0 || n > max || n > b.remaining()) {
                throw new Violation("a string of " + n + " bytes in DINFO");
            }
            byte[] s = new byte[n];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }
    }

    /**
     * The agent broke the protocol: a frame it must never send (wrong type for the request, wrong size, more data
     * than the request allows, an id we never used, a length over the limit). The connection cannot be trusted
     * any more; the client closes it and the sandbox is marked broken.
     */
    public static final class Violation extends java.io.IOException {
        public Violation(String message) {
            super(message);
        }
    }

    /** Decoded EXIT payload. {@code code} is the exit status, or the signal number when {@code signalled}. */
    public record Exit(boolean signalled, int flags, int code) {
        public static Exit decode(byte[] p) throws Violation {
            expectLength("EXIT", p, 6);
            ByteBuffer b = ByteBuffer.wrap(p);
            int kind = b.get();
            int flags = b.get() & 0xff;
            int code = b.getInt();
            if (kind < 0 || kind > 1 || code < 0 || code > (kind == 1 ? 127 : 255)) {
                throw new Violation("EXIT with kind " + kind + " and code " + code);
            }
            return new Exit(kind == 1, flags, code);
        }

        /** Shell and Docker convention: death by signal N is exit code 128+N. */
        public int exitCode() {
            return signalled ? 128 + code : code;
        }

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /** Decoded ERROR payload; the message is cut and stripped of control characters (it reaches callers). */
    public record Error(int errno, int stage, String message) {
        public static Error decode(byte[] p) throws Violation {
            if (p.length < 8) {
                throw new Violation("ERROR of " + p.length + " bytes");
            }
            ByteBuffer b = ByteBuffer.wrap(p);
            int errno = b.getInt();
            int stage = b.getInt();
            int n = Math.min(p.length - 8, MAX_MESSAGE_CHARS * 4);
            return new Error(errno, stage, printable(new String(p, 8, n, StandardCharsets.UTF_8), MAX_MESSAGE_CHARS));
        }
    }

    /** Decoded HELLO reply. */
    public record Hello(int version, int pid, int uid, int gid) {
        public static Hello decode(byte[] p) throws Violation {
            expectLength("HELLO", p, 16);
            ByteBuffer b = ByteBuffer.wrap(p);
            return new Hello(b.getInt(), b.getInt(), b.getInt(), b.getInt());
        }
    }

    /** Decoded STDIN_ACK: stdin bytes the agent consumed so far, and whether the command closed its stdin. */
    public record StdinAck(long consumed, boolean closed) {
        public static StdinAck decode(byte[] p) throws Violation {
            expectLength("STDIN_ACK", p, 9);
            ByteBuffer b = ByteBuffer.wrap(p);
            long consumed = b.getLong();
            int closed = b.get();
            if (consumed < 0 || closed < 0 || closed > 1) {
                throw new Violation("STDIN_ACK of " + consumed + " bytes, closed " + closed);
            }
            return new StdinAck(consumed, closed == 1);
        }
    }

    public static long decodeDone(byte[] p) throws Violation {
        expectLength("DONE", p, 8);
        return ByteBuffer.wrap(p).getLong();
    }

    /**
     * Text from the agent made safe for a message or a log line: control characters (ESC, CR, NUL...) written as
     * backslash-x escapes (backslash-u for other invisible ones), and at most {@code maxChars} characters kept.
     */
    public static String printable(String s, int maxChars) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), maxChars) + 16);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= maxChars) {
                b.append("... (").append(s.length() - i).append(" more characters)");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (Character.getType(c) == Character.CONTROL || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void expectLength(String what, byte[] p, int length) throws Violation {
        if (p.length != length) {
            throw new Violation(what + " of " + p.length + " bytes, expected " + length);
        }
    }

    private static void putInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void putLong(ByteArrayOutputStream out, long v) {
        putInt(out, (int) (v >>> 32));
        putInt(out, (int) v);
    }

    private static void putString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(out, b.length);
        out.write(b, 0, b.length);
    }
}
