package dev.agentkernel.docker.agent;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test double of the agent that speaks the protocol over in-process pipes and misbehaves on request: the tests
 * drive it frame by frame against the real {@link AgentClient}. A reader thread takes the client's frames into a
 * queue (answering PINGs unless told not to, and stopping on request: an agent that no longer reads). The pipes
 * are NIO pipes, so closing them from any thread ends a blocked read or write, as with the attach socket.
 */
final class FakeAgent implements AutoCloseable {
    private final Pipe toAgent;
    private final Pipe fromAgent;
    private final DataInputStream requests;
    private final OutputStream answers;
    private final BlockingQueue<AgentFrame> received = new LinkedBlockingQueue<>();
    /** Stdin payload bytes received. */
    final AtomicLong stdinBytes = new AtomicLong();
    volatile boolean answerPings = true;
    private volatile boolean reading = true;
    private volatile boolean answerHello = true;

    FakeAgent() throws IOException {
        toAgent = Pipe.open();
        fromAgent = Pipe.open();
        requests = new DataInputStream(Channels.newInputStream(toAgent.source()));
        answers = Channels.newOutputStream(fromAgent.sink());
    }

    /** Limits short enough for tests; the watchdog ticks every 250 ms. */
    static AgentClient.Options quick() {
        return new AgentClient.Options(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(200), 2 << 20,
                Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    /** Connects a client, answering its HELLO like a real agent. */
    AgentClient connect(AgentClient.Options options) {
        return connect(options, Duration.ofSeconds(5));
    }

    /** Connects a client without answering its HELLO. */
    AgentClient connectSilently(AgentClient.Options options, Duration handshake) {
        answerHello = false;
        return connect(options, handshake);
    }

    private AgentClient connect(AgentClient.Options options, Duration handshake) {
        Thread t = new Thread(this::readLoop, "fake-agent");
        t.setDaemon(true);
        t.start();
        return AgentClient.connect("fake", Channels.newInputStream(fromAgent.source()),
                Channels.newOutputStream(toAgent.sink()), () -> {
                    toAgent.sink().close();
                    fromAgent.source().close();
                }, handshake, options);
    }

    private void readLoop() {
        try {
            for (AgentFrame f; (f = AgentFrame.read(requests)) != null; ) {
                if (f.type() == AgentProtocol.HELLO && answerHello) {
                    send(AgentProtocol.R_HELLO, f.id(), ByteBuffer.allocate(16).putInt(AgentProtocol.VERSION).putInt(1)
                            .putInt(0).putInt(0).array());
                } else if (f.type() == AgentProtocol.PING && answerPings) {
                    send(AgentProtocol.R_PONG, f.id(), new byte[0]);
                } else {
                    if (f.type() == AgentProtocol.STDIN) {
                        stdinBytes.addAndGet(f.payload().length);
                    }
                    received.add(f);
                }
                synchronized (this) {
                    while (!reading) {
                        wait();
                    }
                }
            }
            received.add(CLOSED);
        } catch (IOException | InterruptedException e) {
            received.add(CLOSED);
        }
    }

    private static final AgentFrame CLOSED = new AgentFrame((byte) 0, 0, null);

    /** Stops (or resumes) reading after the frame in hand: the client's writes then block once the pipe is full. */
    synchronized void reading(boolean on) {
        reading = on;
        notifyAll();
    }

    /** The next frame the client sent (answered PINGs excepted); null when it closed the channel. */
    AgentFrame next() throws IOException, InterruptedException {
        AgentFrame f = received.poll(10, TimeUnit.SECONDS);
        if (f == null) {
            throw new IOException("no frame from the client in 10 s");
        }
        return f == CLOSED ? null : f;
    }

    /** The next frame of this type, skipping others. */
    AgentFrame next(byte type) throws IOException, InterruptedException {
        for (AgentFrame f; (f = next()) != null; ) {
            if (f.type() == type) {
                return f;
            }
        }
        throw new IOException("the client closed the channel before sending type " + type);
    }

    /** Whether the client closed its end within the time (the reader saw the end of its stream). */
    boolean closedWithin(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        for (AgentFrame f; (f = received.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
            if (f == CLOSED) {
                return true;
            }
        }
        return false;
    }

    synchronized void send(byte type, int id, byte[] payload) throws IOException {
        answers.write(ByteBuffer.allocate(AgentProtocol.HEADER_BYTES + payload.length).putInt(payload.length)
                .put(type).putInt(id).put(payload).array());
        answers.flush();
    }

    synchronized void raw(byte[] bytes) throws IOException {
        answers.write(bytes);
        answers.flush();
    }

    void exit(int id, int code, int flags) throws IOException {
        send(AgentProtocol.R_EXIT, id, ByteBuffer.allocate(6).put((byte) 0).put((byte) flags).putInt(code).array());
    }

    @Override
    public void close() throws IOException {
        toAgent.source().close();
        toAgent.sink().close();
        fromAgent.source().close();
        fromAgent.sink().close();
    }
}
