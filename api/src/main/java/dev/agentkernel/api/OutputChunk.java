package dev.agentkernel.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** A piece of a command's output, as produced. The bytes may end in the middle of a UTF-8 sequence. */
public record OutputChunk(Stream stream, byte[] bytes) {
    /** Which stream the bytes came from. */
    public enum Stream {
        STDOUT, STDERR;

        public String wireName() {
            return this == STDOUT ? "stdout" : "stderr";
        }
    }

    public OutputChunk {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(bytes, "bytes");
    }

    /** Lossy text view (malformed sequences become U+FFFD); streaming consumers should decode per stream. */
    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
