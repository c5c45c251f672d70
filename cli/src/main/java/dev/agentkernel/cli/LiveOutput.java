package dev.agentkernel.cli;

import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Shows a command's output as it is produced: stdout chunks on our stdout, stderr chunks on our stderr, each
 * flushed at once. Each stream has its own decoder, so a UTF-8 sequence split across chunks is kept whole.
 * Stages go to stderr with {@code -v} only; the data streams stay exactly the command's.
 */
public final class LiveOutput implements RunListener {
    private final Console console;
    private final StreamDecoder stdout;
    private final StreamDecoder stderr;

    public LiveOutput(Console console) {
        this.console = console;
        this.stdout = new StreamDecoder(console.out());
        this.stderr = new StreamDecoder(console.err());
    }

    @Override
    public void onStarted(String sandbox, String image, String imageNote, boolean pooled) {
        console.detail("sandbox " + sandbox + (pooled ? " (warm, from the pool)" : "")
                + (image == null ? "" : ", image " + image) + (imageNote == null ? "" : ": " + imageNote));
    }

    @Override
    public void onProgress(Stage stage) {
        console.detail(stage.wireName() + "...");
    }

    @Override
    public void onOutput(OutputChunk chunk) {
        (chunk.stream() == OutputChunk.Stream.STDOUT ? stdout : stderr).write(chunk.bytes(), false);
    }

    @Override
    public void onDone(ExecResult result) {
        finish();
    }

    /** Writes what a decoder still holds (a truncated sequence becomes U+FFFD). Idempotent. */
    public void finish() {
        stdout.write(new byte[0], true);
        stderr.write(new byte[0], true);
    }

    private static final class StreamDecoder {
        private final PrintWriter target;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);
        private boolean finished;

        StreamDecoder(PrintWriter target) {
            this.target = target;
        }

        synchronized void write(byte[] bytes, boolean endOfInput) {
            if (finished) {
                return;
            }
            ByteBuffer in = ByteBuffer.allocate(pending.remaining() + bytes.length);
            in.put(pending).put(bytes).flip();
            CharBuffer chars = CharBuffer.allocate(in.remaining() + 1);
            decoder.decode(in, chars, endOfInput);
            if (endOfInput) {
                decoder.flush(chars);
                finished = true;
            }
            pending = in.slice();
            chars.flip();
            if (chars.hasRemaining()) {
                target.append(chars);
            }
            target.flush();
        }
    }
}
