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
    public static final int VERSION = 2;
    public static final int HEADER_BYTES = 9;
    /** The agent refuses larger frames; data is sent in chunks well below this. */
    public static final int MAX_PAYLOAD = 1 << 20;
    public static final int CHUNK = 256 * 1024;

    // client -> agent
    public static final byte HELLO = 0x01;
    public static final byte EXEC = 0x02;
    public static final byte STDIN = 0x03;
    public static final byte KILL = 0x04;
    public static final byte FILE_READ = 0x05;
    public static final byte FILE_WRITE = 0x06;
    public static final byte FILE_DATA = 0x07;
    public static final byte FILE_DELETE = 0x08;
    // agent -> client
    public static final byte R_HELLO = (byte) 0x81;
    public static final byte R_STDOUT = (byte) 0x82;
    public static final byte R_STDERR = (byte) 0x83;
    public static final byte R_EXIT = (byte) 0x84;
    public static final byte R_ERROR = (byte) 0x85;
    public static final byte R_FILE_DATA = (byte) 0x86;
    public static final byte R_DONE = (byte) 0x87;

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

    /** Decoded EXIT payload. {@code code} is the exit status, or the signal number when {@code signalled}. */
    public record Exit(boolean signalled, int flags, int code) {
        public static Exit decode(byte[] p) {
            ByteBuffer b = ByteBuffer.wrap(p);
            return new Exit(b.get() == 1, b.get() & 0xff, b.getInt());
        }

        /** Shell and Docker convention: death by signal N is exit code 128+N. */
        public int exitCode() {
            return signalled ? 128 + code : code;
        }

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /** Decoded ERROR payload. */
    public record Error(int errno, int stage, String message) {
        public static Error decode(byte[] p) {
            ByteBuffer b = ByteBuffer.wrap(p);
            int errno = b.getInt();
            int stage = b.getInt();
            return new Error(errno, stage, new String(p, 8, p.length - 8, StandardCharsets.UTF_8));
        }
    }

    /** Decoded HELLO reply. */
    public record Hello(int version, int pid, int uid, int gid) {
        public static Hello decode(byte[] p) {
            ByteBuffer b = ByteBuffer.wrap(p);
            return new Hello(b.getInt(), b.getInt(), b.getInt(), b.getInt());
        }
    }

    public static long decodeDone(byte[] p) {
        return ByteBuffer.wrap(p).getLong();
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
