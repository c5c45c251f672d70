package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@link FakeBackend}'s port connection: the fake "sandbox" shares the host's loopback, so it is a plain socket to
 * {@code 127.0.0.1:port} with the {@link PortStream} contract on top — the connect happens on the connection's own
 * thread (a refusal reaches {@link PortListener#onClosed}), a writer thread takes what {@link #write} queued (the
 * window is what it has not yet written), and the reader stops reading while {@link #WINDOW} bytes given to the
 * listener are not {@linkplain #consumed consumed}. The listener is called from the reader thread only.
 */
final class FakePortStream implements PortStream {
    private final int port;
    private final PortListener listener;
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> queued = new ArrayDeque<>(); // guarded by lock
    private final List<Runnable> whenWritable = new ArrayList<>(); // guarded by lock
    private final AtomicBoolean closedOnce = new AtomicBoolean();
    private long inFlight; // written, not yet on the socket; guarded by lock
    private long unconsumed; // given to the listener, not consumed; guarded by lock
    private boolean writeClosed; // guarded by lock
    private boolean closed; // guarded by lock
    private Socket socket; // guarded by lock

    FakePortStream(int port, PortListener listener) {
        this.port = port;
        this.listener = listener;
    }

    void start() {
        Thread reader = new Thread(this::run, "fake-port-" + port);
        reader.setDaemon(true);
        reader.start();
    }

    private void run() {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        } catch (IOException e) {
            closeSocket(s);
            finish(e instanceof ConnectException ? "connection refused" : e.getMessage());
            return;
        }
        synchronized (lock) {
            if (closed) {
                closeSocket(s);
                finish(null);
                return;
            }
            socket = s;
        }
        Thread writer = new Thread(() -> write(s), "fake-port-writer-" + port);
        writer.setDaemon(true);
        writer.start();
        try (InputStream in = s.getInputStream()) {
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int room;
                synchronized (lock) {
                    while (unconsumed >= WINDOW && !closed) {
                        lock.wait();
                    }
                    if (closed) {
                        break;
                    }
                    room = (int) Math.min(buf.length, WINDOW - unconsumed);
                }
                int n = in.read(buf, 0, room);
                if (n < 0) {
                    listener.onEnd();
                    break;
                }
                synchronized (lock) {
                    unconsumed += n;
                }
                listener.onData(Arrays.copyOf(buf, n));
            }
            synchronized (lock) {
                while (!writeClosed && !closed) {
                    lock.wait(); // the sandbox side is done; the connection ends when ours is too
                }
            }
            finish(null);
        } catch (IOException e) {
            finish(isClosed() ? null : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish("interrupted");
        }
    }

    private void write(Socket s) {
        try {
            OutputStream out = s.getOutputStream();
            while (true) {
                byte[] next;
                synchronized (lock) {
                    while (queued.isEmpty() && !writeClosed && !closed) {
                        lock.wait();
                    }
                    if (closed) {
                        return;
                    }
                    if (queued.isEmpty()) {
                        s.shutdownOutput(); // closeWrite: the port reads end-of-file
                        return;
                    }
                    next = queued.peek();
                }
                out.write(next);
                out.flush();
                List<Runnable> ready;
                synchronized (lock) {
                    queued.poll();
                    inFlight -= next.length;
                    lock.notifyAll();
                    ready = new ArrayList<>(whenWritable);
                    whenWritable.clear();
                }
                ready.forEach(Runnable::run);
            }
        } catch (IOException e) {
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void write(byte[] data) {
        synchronized (lock) {
            while (!fits(data.length) && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AgentKernelException.ConflictException("interrupted while writing to port " + port);
                }
            }
            if (closed || writeClosed) {
                throw new AgentKernelException.ConflictException("The connection to port " + port + " has ended");
            }
            queued.add(data.clone());
            inFlight += data.length;
            lock.notifyAll();
        }
    }

    /** A write larger than the window goes through alone. */
    private boolean fits(int bytes) {
        return inFlight == 0 || inFlight + bytes <= WINDOW;
    }

    @Override
    public boolean writable(int bytes) {
        synchronized (lock) {
            return fits(bytes);
        }
    }

    @Override
    public void onWritable(Runnable action) {
        synchronized (lock) {
            if (inFlight > 0 && !closed) {
                whenWritable.add(action);
                return;
            }
        }
        action.run();
    }

    @Override
    public void consumed(long bytes) {
        synchronized (lock) {
            unconsumed = Math.max(0, unconsumed - bytes);
            lock.notifyAll();
        }
    }

    @Override
    public void closeWrite() {
        synchronized (lock) {
            writeClosed = true;
            lock.notifyAll();
        }
    }

    @Override
    public void close() {
        Socket s;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            s = socket;
            lock.notifyAll();
        }
        if (s != null) {
            closeSocket(s); // the reader sees it and reports the end: listener calls stay on its thread
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private void finish(String error) {
        List<Runnable> waiting;
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
            waiting = new ArrayList<>(whenWritable);
            whenWritable.clear();
        }
        if (closedOnce.compareAndSet(false, true)) {
            waiting.forEach(Runnable::run); // a waiter learns the end from its next write
            listener.onClosed(error);
        }
    }

    private static void closeSocket(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }
}
