package dev.agentkernel.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * The server's view of stdin: only lines that are JSON objects reach the SDK's transport, which ends the whole
 * session on the first line it cannot parse. A malformed line gets the JSON-RPC parse error (-32700) instead,
 * and the server keeps serving.
 *
 * <p>Cancellation, which the SDK does not implement: every message is screened by {@link CallCancellations} before
 * the SDK sees it.
 *
 * <p>When the client closes stdin, {@code ended} is counted down but the transport does not see the end yet:
 * it would close the session at once and drop the answers of calls still running. {@link #release()} lets it
 * see the end once those answers are out.
 */
final class ProtocolInput extends InputStream {
    private static final Logger LOG = LoggerFactory.getLogger(ProtocolInput.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedReader lines;
    private final OutputStream protocolOut;
    private final CountDownLatch ended;
    private final CallCancellations calls;
    private final CountDownLatch released = new CountDownLatch(1);
    private byte[] current = new byte[0];
    private int position;

    /**
     * @param protocolOut where parse errors are written; the SDK's transport writes its messages while holding
     *                    this object's monitor, and so do we, so lines never interleave
     */
    ProtocolInput(InputStream raw, OutputStream protocolOut, CountDownLatch ended, CallCancellations calls) {
        this.lines = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
        this.protocolOut = protocolOut;
        this.ended = ended;
        this.calls = calls;
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return current[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, current.length - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }

    /** Makes the next valid line available; false at the end of input. */
    private boolean fill() throws IOException {
        while (position >= current.length) {
            String line;
            try {
                line = lines.readLine();
            } catch (IOException e) {
                ended.countDown();
                throw e;
            }
            if (line == null) {
                ended.countDown();
                awaitRelease();
                return false;
            }
            if (line.isBlank()) {
                continue;
            }
            JsonNode message;
            try {
                message = JSON.readTree(line);
            } catch (IOException e) {
                message = null;
            }
            if (message == null || !message.isObject()) {
                reject(message == null ? "the line is not valid JSON" : "a JSON-RPC message must be a JSON object");
                continue;
            }
            String passed = calls.screen((ObjectNode) message, line);
            if (passed == null) {
                continue; // a cancellation, handled here
            }
            current = (passed + "\n").getBytes(StandardCharsets.UTF_8);
            position = 0;
        }
        return true;
    }

    /** Lets the transport see the end of input (see the class comment). */
    void release() {
        released.countDown();
    }

    private void awaitRelease() throws IOException {
        try {
            released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted at the end of input");
        }
    }

    private void reject(String problem) throws IOException {
        LOG.warn("Ignored a malformed message from the client: {}", problem);
        ObjectNode error = JsonNodeFactory.instance.objectNode();
        error.put("jsonrpc", "2.0");
        error.putNull("id");
        error.putObject("error").put("code", -32700).put("message", "Parse error: " + problem);
        byte[] bytes = (JSON.writeValueAsString(error) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (protocolOut) {
            protocolOut.write(bytes);
            protocolOut.flush();
        }
    }

    @Override
    public void close() throws IOException {
        ended.countDown();
        released.countDown();
        lines.close();
    }
}
