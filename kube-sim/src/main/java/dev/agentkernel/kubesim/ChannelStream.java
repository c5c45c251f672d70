package dev.agentkernel.kubesim;

import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code pods/exec} or {@code pods/attach} websocket, served by a {@code docker exec}/{@code docker attach} child
 * process, in the kubelet's channel protocol ({@code v4.channel.k8s.io}): every binary message starts with a channel
 * byte, 0 stdin (client to server), 1 stdout, 2 stderr, 3 the final status as a JSON {@code Status}; 4 (resize) is
 * ignored. {@code v5.channel.k8s.io} would add channel 255 to close stdin; fabric8 8.0.0's client does not offer
 * it and its mock server does not accept it, so it is understood here but never negotiated.
 *
 * <p>Nothing here runs long on the server's event loop: stdin is handed to a writer thread, output is pumped by
 * two reader threads (their sends wait for the socket, which is the back-pressure), and the end is reported by the
 * thread that waits for the process.
 */
final class ChannelStream extends WebSocketListener {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelStream.class);
    static final byte STDIN = 0;
    static final byte STDOUT = 1;
    static final byte STDERR = 2;
    static final byte STATUS = 3;
    static final byte RESIZE = 4;
    static final byte CLOSE = (byte) 255;
    private static final byte[] EOF = new byte[0];

    /** Starts the process when the socket opens. */
    interface Starter {
        Process start() throws IOException;
    }

    private final String what;
    private final Starter starter;
    private final boolean stdin;
    private final BlockingQueue<byte[]> input = new LinkedBlockingQueue<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Process process;

    ChannelStream(String what, Starter starter, boolean stdin) {
        this.what = what;
        this.starter = starter;
        this.stdin = stdin;
    }

    @Override
    public void onOpen(WebSocket ws, Response response) {
        Process p;
        try {
            p = starter.start();
        } catch (IOException e) {
            finish(ws, -1, "cannot start " + what + ": " + e.getMessage());
            return;
        }
        process = p;
        Thread out = pump(ws, p.getInputStream(), STDOUT);
        Thread err = pump(ws, p.getErrorStream(), STDERR);
        if (stdin) {
            daemon("kubesim-stdin", () -> writeStdin(p.getOutputStream())).start();
        }
        daemon("kubesim-wait", () -> {
            try {
                int code = p.waitFor();
                out.join();
                err.join();
                finish(ws, code, null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).start();
    }

    @Override
    public void onMessage(WebSocket ws, byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        switch (bytes[0]) {
            case STDIN -> {
                if (stdin && bytes.length > 1) {
                    input.add(Arrays.copyOfRange(bytes, 1, bytes.length));
                }
            }
            case CLOSE -> {
                if (bytes.length > 1 && bytes[1] == STDIN) {
                    input.add(EOF);
                }
            }
            default -> {
                // RESIZE and anything else: no terminal here
            }
        }
    }

    @Override
    public void onMessage(WebSocket ws, String text) {
        onMessage(ws, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
        stop();
    }

    @Override
    public void onClosed(WebSocket ws, int code, String reason) {
        stop();
    }

    @Override
    public void onFailure(WebSocket ws, Throwable t, Response response) {
        stop();
    }

    /**
     * The client went away: the docker CLI child ends. (As with a real kubelet, a command started by exec goes on
     * running in the container; the attached main process is only detached from.)
     */
    private void stop() {
        ended.set(true);
        input.add(EOF);
        Process p = process;
        if (p != null) {
            p.destroy();
        }
    }

    private Thread pump(WebSocket ws, InputStream in, byte channel) {
        Thread t = daemon("kubesim-" + (channel == STDOUT ? "out" : "err"), () -> {
            byte[] buf = new byte[32 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n == 0 || ended.get()) {
                        continue;
                    }
                    byte[] msg = new byte[n + 1];
                    msg[0] = channel;
                    System.arraycopy(buf, 0, msg, 1, n);
                    ws.send(msg);
                }
            } catch (IOException e) {
                LOG.debug("{}: output ended: {}", what, e.getMessage());
            }
        });
        t.start();
        return t;
    }

    private void writeStdin(OutputStream out) {
        try (out) {
            while (true) {
                byte[] b = input.poll(1, TimeUnit.SECONDS);
                if (b == EOF) {
                    return;
                }
                if (b != null) {
                    out.write(b);
                    out.flush();
                } else if (!process.isAlive()) {
                    return;
                }
            }
        } catch (IOException e) {
            LOG.debug("{}: stdin ended: {}", what, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends the final status on channel 3, as the kubelet does, and closes the socket normally. */
    private void finish(WebSocket ws, int exitCode, String error) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        byte[] status = Statuses.channelStatus(exitCode, error).getBytes(StandardCharsets.UTF_8);
        byte[] msg = new byte[status.length + 1];
        msg[0] = STATUS;
        System.arraycopy(status, 0, msg, 1, status.length);
        ws.send(msg);
        ws.close(1000, "");
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
