package dev.agentkernel.server;

import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One proxied request over one {@link PortStream}: the request head and body go to the sandbox's port, its answer
 * comes back through a {@link ResponseReader} to the client; after a {@code 101} the client's connection becomes a
 * raw tunnel both ways. Everything but the writes to the port runs on the request's event loop, in order.
 *
 * <p>Backpressure, so that a slow side pauses only this connection and nothing is buffered beyond a window:
 * towards the sandbox, the client's bytes are written on {@code writer} threads (a write waits while the port's
 * window is full) and the client is paused while more than {@link #PAUSE_AT} bytes wait; towards the client, what
 * the sandbox sent is {@linkplain PortStream#consumed consumed} only once Vert.x's write queue has taken it (at once
 * when the queue has room, else when it drains), so the sandbox side stops sending while the client does not read.
 */
final class PortRelay implements PortListener {
    private static final Logger LOG = LoggerFactory.getLogger(PortRelay.class);
    /** Bytes from the client waiting for the port before the client is paused. */
    static final int PAUSE_AT = 256 * 1024;

    private final RoutingContext ctx;
    private final Context context;
    private final Executor writer;
    private final boolean sandboxCsp;
    private final String description;
    private final Runnable onTunnel;
    private final ResponseReader reader;
    private final List<byte[]> early = new ArrayList<>(); // data before the stream was attached (event loop)
    private volatile PortStream stream;
    private CompletableFuture<Void> writes = CompletableFuture.completedFuture(null); // event loop only
    private long waiting; // client bytes not yet written to the port (event loop)
    private ReadStream<Buffer> input; // the client's bytes: the request body, or the tunnel's socket
    private boolean inputPaused;
    private WriteStream<Buffer> output; // where the sandbox's bytes go: the response, or the tunnel's socket
    private List<Buffer> beforeTunnel; // the sandbox's bytes after a 101, before the tunnel is open
    private long unconsumed; // bytes handed to output that wait for its drain (event loop)
    private boolean finished;

    /**
     * @param sandboxCsp  whether answers get {@code Content-Security-Policy: sandbox} and lose {@code Set-Cookie} (the path way: the API's origin)
     * @param description e.g. {@code port 8000 of sandbox 'web'}, for errors
     * @param onTunnel    runs when the connection became a tunnel (it is busy however quiet from then on)
     */
    PortRelay(RoutingContext ctx, Context context, Executor writer, boolean sandboxCsp, String description,
              Runnable onTunnel) {
        this.onTunnel = onTunnel;
        this.ctx = ctx;
        this.context = context;
        this.writer = writer;
        this.sandboxCsp = sandboxCsp;
        this.description = description;
        this.reader = new ResponseReader(ctx.request().method().name().equals("HEAD"), new Sink());
        this.output = ctx.response();
    }

    /** The connection is open (on the event loop): send the head, then the body, and watch the client. */
    void attach(PortStream s, byte[] head, boolean chunkedBody, boolean upgrade) {
        this.stream = s;
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        response.closeHandler(v -> closeStream()); // the client went away before the answer ended
        send(head);
        if (!upgrade) {
            input = request;
            request.handler(b -> {
                if (chunkedBody) {
                    send((Integer.toHexString(b.length()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    send(b.getBytes());
                    send("\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    send(b.getBytes());
                }
            });
            request.endHandler(v -> {
                if (chunkedBody) {
                    send("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            });
            request.resume();
        }
        List<byte[]> before = new ArrayList<>(early);
        early.clear();
        before.forEach(this::fromSandbox);
    }

    /** The connection could not be opened: the client hears why (no byte was sent yet). */
    void refuse(Throwable failure) {
        finished = true;
        ctx.fail(failure);
    }

    // ---- towards the sandbox

    private void send(byte[] data) {
        if (data.length == 0) {
            return;
        }
        waiting += data.length;
        if (waiting > PAUSE_AT && input != null && !inputPaused) {
            inputPaused = true;
            input.pause();
        }
        PortStream s = stream;
        writes = writes.thenRunAsync(() -> {
            try {
                s.write(data);
            } catch (RuntimeException e) {
                LOG.debug("write to {} failed: {}", description, e.getMessage()); // its end is reported to onClosed
            }
        }, writer).whenComplete((v, e) -> context.runOnContext(x -> {
            waiting -= data.length;
            if (inputPaused && waiting <= PAUSE_AT / 2) {
                inputPaused = false;
                input.resume();
            }
        }));
    }

    // ---- from the sandbox (PortListener: on the stream's thread, handed to the event loop)

    @Override
    public void onData(byte[] data) {
        context.runOnContext(v -> {
            if (stream == null) {
                early.add(data);
            } else {
                fromSandbox(data);
            }
        });
    }

    @Override
    public void onEnd() {
        context.runOnContext(v -> {
            if (finished) {
                return;
            }
            try {
                reader.eof();
            } catch (ResponseReader.BadResponse e) {
                fail(e.getMessage());
            }
        });
    }

    @Override
    public void onClosed(String error) {
        context.runOnContext(v -> {
            if (finished) {
                return;
            }
            if (error == null) {
                try {
                    reader.eof();
                    return;
                } catch (ResponseReader.BadResponse e) {
                    fail(e.getMessage());
                    return;
                }
            }
            fail(error);
        });
    }

    private void fromSandbox(byte[] data) {
        if (finished) {
            stream.consumed(data.length);
            return;
        }
        try {
            reader.feed(data);
        } catch (ResponseReader.BadResponse e) {
            fail(e.getMessage());
            return;
        }
        credit(data.length);
    }

    /** Gives the sandbox its credit back once the client's side has taken the bytes. */
    private void credit(long n) {
        WriteStream<Buffer> out = output;
        if (finished) {
            stream.consumed(n); // the answer is complete: nothing is waiting for the client any more
        } else if (beforeTunnel != null || out.writeQueueFull()) {
            unconsumed += n;
            if (beforeTunnel == null) {
                out.drainHandler(v -> releaseCredit());
            }
        } else {
            stream.consumed(n);
        }
    }

    private void releaseCredit() {
        long n = unconsumed;
        unconsumed = 0;
        if (n > 0 && stream != null) {
            stream.consumed(n);
        }
    }

    /** Ends the exchange with an error: a 502 naming it while nothing was answered, else the connection is cut. */
    private void fail(String error) {
        if (finished) {
            return;
        }
        finished = true;
        closeStream();
        HttpServerResponse response = ctx.response();
        if (output == response && !response.headWritten()) {
            FailureRenderer.send(response, new FailureRenderer.Rendered(502, ErrorCode.CONFLICT,
                    "No answer from " + description + ": " + error, Map.of()));
        } else {
            LOG.debug("relay of {} cut: {}", description, error);
            HttpConnection c = ctx.request().connection();
            if (output instanceof NetSocket socket) {
                socket.close();
            } else if (c != null) {
                c.close();
            }
        }
    }

    private void closeStream() {
        PortStream s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.debug("closing {}: {}", description, e.getMessage());
            }
        }
    }

    /** Where the reader's findings go (on the event loop). */
    private final class Sink implements ResponseReader.Sink {
        @Override
        public void head(ResponseReader.Head head) {
            HttpServerResponse response = ctx.response();
            boolean switched = head.framing() == ResponseReader.Framing.SWITCHED;
            response.setStatusCode(head.status());
            if (!head.reason().isEmpty()) {
                response.setStatusMessage(head.reason());
            }
            for (Map.Entry<String, String> h : ProxyHeaders.responseHeaders(head.headers(), switched)) {
                // On the API's origin a sandbox sets no cookies (they would be sent with every API call).
                if (!(sandboxCsp && h.getKey().equalsIgnoreCase("set-cookie"))) {
                    response.headers().add(h.getKey(), h.getValue());
                }
            }
            if (sandboxCsp) {
                response.headers().add("Content-Security-Policy", "sandbox");
            }
            switch (head.framing()) {
                case UNTIL_CLOSE, CHUNKED -> {
                    response.headers().remove("Content-Length");
                    response.setChunked(true);
                }
                case SWITCHED -> tunnel();
                default -> { }
            }
        }

        @Override
        public void body(Buffer data) {
            if (beforeTunnel != null) {
                beforeTunnel.add(data);
            } else {
                output.write(data);
            }
        }

        @Override
        public void end() {
            finished = true;
            if (output instanceof NetSocket socket) {
                socket.end();
            } else {
                ctx.response().end();
            }
            closeStream();
        }
    }

    /** The sandbox switched protocols: the client's connection becomes a raw tunnel (Vert.x sends our 101 head). */
    private void tunnel() {
        beforeTunnel = new ArrayList<>();
        ctx.request().toNetSocket().onComplete(ar -> {
            if (ar.failed()) {
                List<Buffer> dropped = beforeTunnel;
                beforeTunnel = null;
                dropped.clear();
                finished = true;
                closeStream();
                ctx.request().connection().close();
                return;
            }
            NetSocket socket = ar.result();
            onTunnel.run();
            output = socket;
            List<Buffer> pending = beforeTunnel;
            beforeTunnel = null;
            pending.forEach(socket::write);
            input = socket;
            socket.handler(b -> send(b.getBytes()));
            socket.closeHandler(v -> closeStream());
            if (socket.writeQueueFull()) {
                socket.drainHandler(v -> releaseCredit());
            } else {
                releaseCredit();
            }
        });
    }
}
