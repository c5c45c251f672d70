package dev.agentkernel.docker.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The only thread that writes to one agent channel. Callers never touch the socket: they put frames in a queue
 * bounded in bytes and go on. Data (requests, stdin, file content) waits in order; urgent frames (KILL, PING)
 * overtake every queued data frame, except the one that opens their own request (a KILL must not reach the
 * agent before the EXEC it cancels). A write that makes no progress for the deadline (an agent that stopped
 * reading) fails the channel; the owner closes the stream, which ends the blocked write.
 *
 * <p>{@link #send} waits for room, up to the caller's deadline, so a large upload is paced by the agent on the
 * calling (worker) thread; {@link #sendUrgent} never waits, so it is safe on an event loop.
 */
final class AgentWriter {
    /** Urgent frames are tiny and few (one PING at a time, one KILL per call); more means something is wrong. */
    private static final int MAX_URGENT = 4096;

    private final OutputStream out;
    private final long capacityBytes;
    private final Consumer<IOException> onFailure;
    private final ArrayDeque<AgentFrame> data = new ArrayDeque<>();
    private final ArrayDeque<AgentFrame> urgent = new ArrayDeque<>();
    /** Ids whose opening frame is still queued: their urgent frames wait for it. */
    private final Set<Integer> unopened = new HashSet<>();
    private final Thread thread;
    private long queuedBytes;
    private IOException failed;
    /** System.nanoTime() when the write in progress started; 0 when idle. */
    private volatile long writingSince;

    AgentWriter(String name, OutputStream out, long capacityBytes, Consumer<IOException> onFailure) {
        this.out = out;
        this.capacityBytes = capacityBytes;
        this.onFailure = onFailure;
        this.thread = new Thread(null, this::run, "agentkernel-agent-writer-" + name, 256 * 1024);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues a data frame, waiting for room until {@code deadlineNanos} (System.nanoTime(); Long.MAX_VALUE for
     * none). A frame larger than the whole queue is accepted when the queue is empty.
     *
     * @throws IOException when the channel failed, or {@link QueueFull} when there was no room in time
     */
    void send(AgentFrame frame, long deadlineNanos) throws IOException, InterruptedException {
        long size = frame.payload().length + AgentProtocol.HEADER_BYTES;
        synchronized (this) {
            while (failed == null && !data.isEmpty() && queuedBytes + size > capacityBytes) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new QueueFull(queuedBytes);
                }
                long ms = Math.max(1, Math.min(left / 1_000_000, 60_000));
                wait(ms);
            }
            if (failed != null) {
                throw failed;
            }
            data.addLast(frame);
            queuedBytes += size;
            if (AgentProtocol.opensRequest(frame.type())) {
                unopened.add(frame.id());
            }
            notifyAll();
        }
    }

    /**
     * Queues a data frame whose sender is already bounded by a window of its own (port data: a connection never has
     * more than {@code PortStream.WINDOW} unacknowledged), in order with the other data; never waits for room, so a
     * caller that found its window open never blocks (safe on an event loop).
     */
    void sendWindowed(AgentFrame frame) throws IOException {
        synchronized (this) {
            if (failed != null) {
                throw failed;
            }
            data.addLast(frame);
            queuedBytes += frame.payload().length + AgentProtocol.HEADER_BYTES;
            notifyAll();
        }
    }

    /** Queues a frame that overtakes queued data; never waits. */
    void sendUrgent(AgentFrame frame) throws IOException {
        synchronized (this) {
            if (failed != null) {
                throw failed;
            }
            if (urgent.size() >= MAX_URGENT) {
                throw new QueueFull(urgent.size());
            }
            urgent.addLast(frame);
            notifyAll();
        }
    }

    /** Drops the queued frames of a request of this type (e.g. stdin of a killed command); returns how many. */
    synchronized int discard(int id, byte type) {
        int n = 0;
        for (Iterator<AgentFrame> it = data.iterator(); it.hasNext(); ) {
            AgentFrame f = it.next();
            if (f.id() == id && f.type() == type) {
                it.remove();
                queuedBytes -= f.payload().length + AgentProtocol.HEADER_BYTES;
                n++;
            }
        }
        if (n > 0) {
            notifyAll();
        }
        return n;
    }

    /** How long the write in progress has been blocked, in nanoseconds; 0 when idle. */
    long stalledNanos(long now) {
        long since = writingSince;
        return since == 0 ? 0 : now - since;
    }

    /** Refuses further frames and wakes everyone waiting; the owner closes the stream. Idempotent. */
    void fail(IOException cause) {
        synchronized (this) {
            if (failed == null) {
                failed = cause;
            }
            data.clear();
            urgent.clear();
            unopened.clear();
            queuedBytes = 0;
            notifyAll();
        }
    }

    private void run() {
        try {
            while (true) {
                AgentFrame next;
                synchronized (this) {
                    while ((next = take()) == null) {
                        if (failed != null) {
                            return;
                        }
                        wait();
                    }
                }
                byte[] bytes = next.encode();
                writingSince = System.nanoTime();
                out.write(bytes);
                out.flush();
                writingSince = 0;
            }
        } catch (IOException e) {
            writingSince = 0;
            fail(e);
            onFailure.accept(e);
        } catch (InterruptedException e) {
            fail(new IOException("agent writer interrupted"));
        }
    }

    /** The next frame to write: an urgent one whose request is open, else the oldest data frame. */
    private AgentFrame take() {
        if (failed != null) {
            return null;
        }
        for (Iterator<AgentFrame> it = urgent.iterator(); it.hasNext(); ) {
            AgentFrame f = it.next();
            if (!unopened.contains(f.id())) {
                it.remove();
                return f;
            }
        }
        AgentFrame f = data.pollFirst();
        if (f != null) {
            queuedBytes -= f.payload().length + AgentProtocol.HEADER_BYTES;
            unopened.remove(f.id());
            notifyAll(); // room for senders
        }
        return f;
    }

    /** No room in the queue in time: the agent reads slower than we send. */
    static final class QueueFull extends IOException {
        QueueFull(long queued) {
            super("the channel to the agent is congested (" + queued + " queued)");
        }
    }
}
