package dev.agentkernel.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one output stream chunk by chunk without splitting a character: an incomplete UTF-8 sequence at the
 * end of a chunk is kept for the next one. Malformed bytes become U+FFFD. Not thread-safe.
 */
final class Utf8ChunkDecoder {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] pending = new byte[0];

    /** The text of every complete character so far. */
    String decode(byte[] chunk) {
        return run(chunk, false);
    }

    /** The rest, at end of stream: an incomplete trailing sequence becomes U+FFFD. */
    String finish() {
        return run(new byte[0], true);
    }

    private String run(byte[] chunk, boolean end) {
        ByteBuffer in = ByteBuffer.allocate(pending.length + chunk.length);
        in.put(pending).put(chunk).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, end);
        if (end) {
            decoder.flush(out);
            decoder.reset();
        }
        pending = new byte[in.remaining()];
        in.get(pending);
        return out.flip().toString();
    }
}
