package dev.agentkernel.server;

import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtySession;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One terminal's WebSocket: binary messages are input, text messages resize, the terminal's output goes out as
 * binary messages and its end as {@code {"type":"exit","exit_code":N}} before a normal close. Closing the socket
 * closes the session (the sandbox kills the command's tree).
 *
 * <p>Nothing blocks an event loop: input and resizes run in order on the input executor. A client that sends faster
 * than the sandbox takes is paused (TCP pushes back) while more than {@link #INPUT_HIGH_WATER} bytes wait; a client
 * that reads slower than the terminal prints is dropped (close 1008, the command killed) once
 * {@code outputBufferBytes} of output wait unsent, as a slow event-stream reader is.
 */
final class PtyBridge implements PtyListener {
    static final long INPUT_HIGH_WATER = 1 << 20;
    static final short CLOSE_TOO_SLOW = 1008;

    private final ServerWebSocket ws;
    private final HttpConnection connection;
    private final Context context;
    private final Executor executor;
    private final long outputBufferBytes;
    private final AtomicLong unsent = new AtomicLong();
    private final AtomicLong inputWaiting = new AtomicLong();
    /** Input and resizes not yet handed to the session, in order; guarded by itself. */
    private final Queue<Runnable> pending = new ArrayDeque<>();
    private boolean draining;      // guarded by pending
    private boolean inputPaused;   // guarded by pending
    private volatile PtySession session;
    private volatile boolean closed;

    PtyBridge(ServerWebSocket ws, HttpConnection connection, Executor executor, long outputBufferBytes) {
        this.ws = ws;
        this.connection = connection;
        this.context = Vertx.currentContext();
        this.executor = executor;
        this.outputBufferBytes = outputBufferBytes;
        ws.binaryMessageHandler(this::input);
        ws.textMessageHandler(this::control);
        ws.closeHandler(v -> closed());
        ws.exceptionHandler(e -> closed());
    }

    /** The terminal is open: what the client sent meanwhile goes in now. */
    void attach(PtySession s) {
        session = s;
        if (closed) {
            s.close();
            return;
        }
        ws.writeTextMessage(PtyHandler.OPENED);
        drain();
    }

    /** The terminal could not be opened: the client hears why, then the socket closes with 4000 + the status. */
    void fail(Throwable cause) {
        FailureRenderer.Rendered r = FailureRenderer.render(cause, 500);
        ws.writeTextMessage(PtyHandler.errorMessage(r)).onComplete(v -> ws.close((short) (4000 + r.status()),
                r.code().code()));
    }

    private void input(Buffer data) {
        byte[] bytes = data.getBytes();
        if (inputWaiting.addAndGet(bytes.length) > INPUT_HIGH_WATER) {
            synchronized (pending) {
                if (!inputPaused) {
                    inputPaused = true;
                    ws.pause();
                }
            }
        }
        enqueue(() -> {
            try {
                session.write(bytes);
            } finally {
                inputWaiting.addAndGet(-bytes.length);
            }
        });
    }

    private void control(String text) {
        int[] size = PtyHandler.resize(text);
        if (size == null) {
            return; // not a message of ours: ignored, so later versions may add some
        }
        enqueue(() -> {
            try {
                session.resize(size[0], size[1]);
            } catch (RuntimeException e) {
                // a size out of range: the terminal keeps its size
            }
        });
    }

    private void enqueue(Runnable task) {
        synchronized (pending) {
            pending.add(task);
        }
        if (session != null) {
            drain();
        }
    }

    /** Runs the queued tasks on the executor, one at a time, in order. */
    private void drain() {
        synchronized (pending) {
            if (draining || pending.isEmpty()) {
                return;
            }
            draining = true;
        }
        executor.execute(() -> {
            while (true) {
                Runnable next;
                synchronized (pending) {
                    next = pending.poll();
                    if (next == null) {
                        draining = false;
                        if (inputPaused && inputWaiting.get() <= INPUT_HIGH_WATER / 2) {
                            inputPaused = false;
                            context.runOnContext(v -> ws.resume());
                        }
                        return;
                    }
                }
                if (!closed) {
                    next.run();
                }
            }
        });
    }

    private void closed() {
        closed = true;
        PtySession s = session;
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void onOutput(byte[] data) {
        if (closed) {
            return;
        }
        if (unsent.addAndGet(data.length) > outputBufferBytes) {
            closed = true;
            ws.close(CLOSE_TOO_SLOW, "client too slow");
            // A reader that takes nothing never reads the close frame either: the connection goes after a grace.
            context.runOnContext(v -> context.owner().setTimer(1000, id -> connection.close()));
            PtySession s = session;
            if (s != null) {
                s.close();
            }
            return;
        }
        ws.writeBinaryMessage(Buffer.buffer(data)).onComplete(v -> unsent.addAndGet(-data.length));
    }

    @Override
    public void onExit(int exitCode) {
        if (!ws.isClosed()) {
            ws.writeTextMessage(PtyHandler.exitMessage(exitCode)).onComplete(v -> ws.close());
        }
    }
}
