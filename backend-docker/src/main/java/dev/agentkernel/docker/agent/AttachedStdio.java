package dev.agentkernel.docker.agent;

import dev.agentkernel.docker.engine.EngineEndpoint;
import dev.agentkernel.docker.engine.HijackedStream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A container's stdio as a hijacked {@code POST /containers/{id}/attach} connection ({@link HijackedStream}): what we
 * write is the container's stdin, what we read is its stdout. The container's stderr carries only the agent's own
 * diagnostics, which are logged through {@link AgentDiagnostics} (rate-limited, escaped, tagged with the sandbox).
 * Closing from any thread ends a pending read.
 */
final class AttachedStdio implements Closeable {
    private final HijackedStream stream;
    private final AgentDiagnostics diagnostics;
    private final InputStream stdout = new Demux();
    private final OutputStream stdin = new Writer();

    private AttachedStdio(HijackedStream stream, String sandbox) {
        this.stream = stream;
        this.diagnostics = new AgentDiagnostics(sandbox);
    }

    /** Attaches to a running container's stdin, stdout and stderr (live stream only, no log replay). */
    static AttachedStdio open(EngineEndpoint engine, String containerId, String sandbox) throws IOException {
        return new AttachedStdio(HijackedStream.open(engine, "/containers/" + containerId
                + "/attach?stream=1&stdin=1&stdout=1&stderr=1", null), sandbox);
    }

    InputStream stdout() {
        return stdout;
    }

    OutputStream stdin() {
        return stdin;
    }

    @Override
    public void close() {
        stream.close();
        diagnostics.finish();
    }

    /** The stdout payload of the multiplexed stream; stderr frames are logged, not returned. */
    private final class Demux extends InputStream {
        private final byte[] skip = new byte[4096];
        private int current = -1;

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
                if (stream.frameRemaining() == 0) {
                    current = stream.nextFrame();
                    if (current < 0) {
                        return -1;
                    }
                    if (current != HijackedStream.STDOUT && current != HijackedStream.STDERR) {
                        throw new IOException("attach stream of unknown type " + current);
                    }
                    continue;
                }
                if (current == HijackedStream.STDOUT) {
                    return stream.readPayload(b, off, len);
                }
                int n = stream.readPayload(skip, 0, skip.length);
                diagnostics.accept(skip, 0, n);
            }
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
            stream.write(b, off, len);
        }

        @Override
        public void close() {
            AttachedStdio.this.close();
        }
    }
}
