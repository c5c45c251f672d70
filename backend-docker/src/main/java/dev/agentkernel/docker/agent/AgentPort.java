package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One PORT request in flight (see the agent's header comment): a TCP connection the agent made to
 * {@code 127.0.0.1:port} in the sandbox. Both directions are windowed at {@link PortStream#WINDOW}: we send at most a
 * window the agent has not acknowledged (its PACK counts bytes written to the socket), and acknowledge what the
 * caller {@linkplain #consumed consumed} so the agent reads on. The agent sending beyond our acknowledgements is a
 * protocol violation, so a sandbox cannot make us hold more than a window per connection. Data goes to the channel's
 * writer without waiting for its queue ({@link AgentWriter#sendWindowed}: the window bounds it), so {@link #write}
 * waits for the window only and {@link #writable} tells the truth.
 *
 * <p>The listener hears everything on the reader thread, except {@code onClosed} for a broken channel (the thread
 * that found it): deliveries are serialised by one lock, and nothing is delivered after {@code onClosed}.
 */
final class AgentPort extends AgentClient.Call implements PortStream {
    /** Consumed bytes are acknowledged in steps (fewer frames). */
    private static final long ACK_STEP = WINDOW / 4;

    private final int id;
    private final int port;
    private final String sandbox;
    private final AgentWriter writer;
    private final PortListener listener;
    private final Runnable onEnded;
    /** Orders writers (chunks of one write never interleave with another's) and the half close after them. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock deliveryLock = new ReentrantLock();

    // guarded by this
    private long sent;          // bytes reserved in the window (counted before they are queued)
    private long writtenByAgent; // PACK from the agent
    private long received;      // PORT_DATA bytes delivered to the listener
    private long consumed;      // what the caller passed on
    private long ackSent;       // what we acknowledged to the agent
    private boolean closing;    // close() was called, or the listener failed
    private boolean over;       // DONE, ERROR or a broken channel: onClosed delivered (or being delivered)
    private final List<Runnable> writableWaiters = new ArrayList<>();

    private volatile boolean writeClosed;
    private boolean eofSent;    // guarded by writeLock
    private boolean endHeard;   // the agent's empty PORT_DATA; reader thread only

    AgentPort(int id, int port, String sandbox, AgentWriter writer, PortListener listener, Runnable onEnded) {
        this.id = id;
        this.port = port;
        this.sandbox = sandbox;
        this.writer = writer;
        this.listener = listener;
        this.onEnded = onEnded;
    }

    // ---- PortStream

    @Override
    public void write(byte[] data) {
        if (writeClosed) {
            throw ended();
        }
        writeLock.lock();
        try {
            if (eofSent) { // closeWrite came between the check above and the lock
                throw ended();
            }
            for (int off = 0; off < data.length; ) {
                int len = Math.min(AgentProtocol.CHUNK, data.length - off);
                reserve(len);
                try {
                    writer.sendWindowed(new AgentFrame(AgentProtocol.PORT_DATA, id, Arrays.copyOfRange(data, off, off + len)));
                } catch (IOException e) {
                    throw ended(); // the channel failed: onClosed says why
                }
                off += len;
            }
        } finally {
            writeLock.unlock();
        }
        sendEofIfDue();
    }

    /**
     * Waits for room in the agent's window (no deadline: a server that reads nothing pauses only this writer, until
     * it reads, the stream is closed or the writer is interrupted, which gives the connection up).
     */
    private void reserve(int len) {
        try {
            synchronized (this) {
                while (!closing && !over && sent - writtenByAgent + len > WINDOW) {
                    wait();
                }
                if (!closing && !over) {
                    sent += len;
                    return;
                }
            }
            throw ended();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new AgentKernelException.BackendUnavailableException("Interrupted while writing to port " + port
                    + " of sandbox '" + sandbox + "'; the connection is closed", e);
        }
    }

    private AgentKernelException ended() {
        return new AgentKernelException.ConflictException("The connection to port " + port + " of sandbox '" + sandbox
                + "' has " + (writeClosed && !closing && !over ? "closed its writing" : "ended"));
    }

    @Override
    public synchronized boolean writable(int bytes) {
        return closing || over || writeClosed || sent - writtenByAgent + bytes <= WINDOW;
    }

    /**
     * Runs when at least half the window is free (or the stream is over): a caller waiting to write a buffer of up
     * to half a window is not woken for a few bytes of room, again and again.
     */
    @Override
    public void onWritable(Runnable action) {
        synchronized (this) {
            if (!writable(WINDOW / 2)) {
                writableWaiters.add(action);
                return;
            }
        }
        action.run();
    }

    @Override
    public void consumed(long bytes) {
        if (bytes <= 0) {
            return;
        }
        long ack;
        synchronized (this) {
            consumed = Math.min(received, consumed + bytes); // more than was delivered is the caller's slip
            // The agent stalls only on a whole window unacknowledged, which this step always answers.
            if (over || closing || consumed - ackSent < ACK_STEP) {
                return;
            }
            ack = ackSent = consumed;
        }
        urgent(AgentProtocol.PORT_ACK, AgentProtocol.portAck(ack));
    }

    @Override
    public void closeWrite() {
        writeClosed = true; // a write in progress finishes first; new ones are refused
        sendEofIfDue();
    }

    /** The half close goes after every chunk a writer queued: sent by whoever holds no write in progress last. */
    private void sendEofIfDue() {
        if (writeClosed && writeLock.tryLock()) {
            try {
                if (!eofSent) {
                    eofSent = true;
                    synchronized (this) {
                        if (closing || over) {
                            return;
                        }
                    }
                    writer.sendWindowed(new AgentFrame(AgentProtocol.PORT_DATA, id, null));
                }
            } catch (IOException e) {
                // broken: the connection ends with the channel (onClosed says why)
            } finally {
                writeLock.unlock();
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closing || over) {
                return;
            }
            closing = true;
        }
        wakeWriters();
        writer.discard(id, AgentProtocol.PORT_DATA);
        urgent(AgentProtocol.PORT_CLOSE, null); // the agent answers DONE: onClosed(null)
    }

    private void urgent(byte type, byte[] payload) {
        try {
            writer.sendUrgent(new AgentFrame(type, id, payload));
        } catch (IOException ignored) {
            // the channel is gone: onClosed comes from its failure
        }
    }

    private void wakeWriters() {
        List<Runnable> waiters;
        synchronized (this) {
            notifyAll();
            if (writableWaiters.isEmpty() || !writable(WINDOW / 2)) {
                return;
            }
            waiters = new ArrayList<>(writableWaiters);
            writableWaiters.clear();
        }
        waiters.forEach(Runnable::run);
    }

    // ---- frames from the agent (reader thread)

    @Override
    boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation {
        byte[] p = frame.payload();
        switch (frame.type()) {
            case AgentProtocol.R_PORT -> {
                if (p.length != 0) {
                    throw new AgentProtocol.Violation("PORT answer of " + p.length + " bytes");
                }
            }
            case AgentProtocol.R_PORT_ACK -> {
                long total = AgentProtocol.decodePortAck(p);
                synchronized (this) {
                    if (total < writtenByAgent || total > sent) {
                        throw new AgentProtocol.Violation("PACK of " + total + " bytes (sent " + sent
                                + ", acknowledged before " + writtenByAgent + ")");
                    }
                    writtenByAgent = total;
                }
                wakeWriters();
            }
            case AgentProtocol.R_PORT_DATA -> {
                if (endHeard) {
                    throw new AgentProtocol.Violation("port data after its end");
                }
                if (p.length == 0) {
                    endHeard = true;
                    deliver(listener::onEnd);
                    return false;
                }
                synchronized (this) {
                    if (received + p.length - ackSent > WINDOW) {
                        throw new AgentProtocol.Violation((received + p.length - ackSent)
                                + " port bytes unacknowledged, over the window of " + WINDOW);
                    }
                    received += p.length;
                }
                deliver(() -> listener.onData(p));
            }
            case AgentProtocol.R_DONE -> {
                AgentProtocol.decodeDone(p);
                ended = true;
                finish(null);
                return true;
            }
            case AgentProtocol.R_ERROR -> {
                AgentProtocol.Error error = AgentProtocol.Error.decode(p);
                ended = true;
                finish(error.message());
                return true;
            }
            default -> throw unexpected(frame, "PORT");
        }
        return false;
    }

    @Override
    void fail(IOException cause) {
        finish("lost the connection to the agent of sandbox '" + sandbox + "' (" + cause.getMessage() + ")");
    }

    /** The PORT request was never sent (openPort throws instead): ended without a word to the listener. */
    void notStarted() {
        synchronized (this) {
            if (over) {
                return;
            }
            over = true;
        }
        onEnded.run();
    }

    /** Ends the stream once: writers and onWritable waiters wake (and find it over), the listener hears onClosed. */
    private void finish(String error) {
        synchronized (this) {
            if (over) {
                return;
            }
            over = true;
        }
        onEnded.run();
        wakeWriters();
        deliveryLock.lock();
        try {
            listener.onClosed(error);
        } catch (RuntimeException e) {
            // the caller's own failure; the connection is over anyway
        } finally {
            deliveryLock.unlock();
        }
    }

    /** One listener call at a time, none after onClosed or close(); a listener that throws ends the connection. */
    private void deliver(Runnable call) {
        deliveryLock.lock();
        try {
            synchronized (this) {
                if (over || closing) {
                    return;
                }
            }
            call.run();
        } catch (RuntimeException e) {
            close();
            finish("the port listener failed: " + e);
        } finally {
            deliveryLock.unlock();
        }
    }
}
