package dev.agentkernel.docker.agent;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** One protocol frame: type, request id and payload (see {@link AgentProtocol}). */
public record AgentFrame(byte type, int id, byte[] payload) {
    private static final byte[] EMPTY = new byte[0];

    public AgentFrame {
        payload = payload == null ? EMPTY : payload;
        if (payload.length > AgentProtocol.MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload.length + " bytes exceeds the limit");
        }
    }

    /** Header and payload as one array, so a frame is written with a single write. */
    public byte[] encode() {
        return ByteBuffer.allocate(AgentProtocol.HEADER_BYTES + payload.length)
                .putInt(payload.length).put(type).putInt(id).put(payload).array();
    }

    /** Reads the next frame; returns null at a clean end of stream between frames. */
    public static AgentFrame read(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] rest = new byte[AgentProtocol.HEADER_BYTES - 1];
        in.readFully(rest);
        ByteBuffer h = ByteBuffer.allocate(AgentProtocol.HEADER_BYTES).put((byte) first).put(rest).flip();
        int length = h.getInt();
        byte type = h.get();
        int id = h.getInt();
        if (length < 0 || length > AgentProtocol.MAX_PAYLOAD) {
            // Nothing of it is read or buffered: the stream is out of step for good.
            throw new AgentProtocol.Violation("a frame of " + Integer.toUnsignedString(length) + " bytes (limit "
                    + AgentProtocol.MAX_PAYLOAD + ")");
        }
        byte[] payload = length == 0 ? EMPTY : new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("agent stream ended inside a frame");
        }
        return new AgentFrame(type, id, payload);
    }

    public static DataInputStream buffered(InputStream in) {
        return new DataInputStream(new java.io.BufferedInputStream(in, 16 * 1024));
    }
}
