package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.Cancellation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Ports (the agent's PORT request) against the real binary run locally: the "sandbox" server is a socket of this
 * test on loopback, which is where the agent connects (in a container that is the sandbox's own loopback).
 */
class AgentPortTest extends LocalAgentFixture {
    private final List<AutoCloseable> servers = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    @Test
    void eightMegabytesEachWayArriveIntact() throws Exception {
        ServerSocket server = listen();
        CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> serve(server, (in, out) -> in.transferTo(out)));
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        byte[] data = new byte[8 << 20];
        new Random(7).nextBytes(data);
        long t = System.nanoTime();
        s.write(data);
        s.closeWrite();
        rec.awaitClosed();
        System.out.printf("port echo: 8 MiB each way in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
        echo.get(10, TimeUnit.SECONDS);
        assertThat(rec.error).isNull();
        assertThat(rec.ended).isTrue();
        assertThat(rec.bytes()).isEqualTo(data);
    }

    @Test
    void aHalfCloseIsSeenAsEndOfFileAndTheAnswerStillArrives() throws Exception {
        ServerSocket server = listen();
        CompletableFuture.runAsync(() -> serve(server, (in, out) -> {
            long n = in.transferTo(OutputStream.nullOutputStream()); // reads to EOF: our closeWrite
            out.write(("got " + n).getBytes(StandardCharsets.UTF_8));
        }));
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        s.write("hello".getBytes(StandardCharsets.UTF_8));
        s.closeWrite();
        rec.awaitClosed();
        assertThat(rec.text()).isEqualTo("got 5");
        assertThat(rec.ended).isTrue();
        assertThat(rec.error).isNull();
        assertThatThrownBy(() -> s.write(new byte[1])).isInstanceOf(AgentKernelException.ConflictException.class);
    }

    @Test
    void aRefusedPortEndsWithTheReason() throws Exception {
        int port;
        try (ServerSocket free = listen()) {
            port = free.getLocalPort();
        }
        Recorder rec = new Recorder(true);
        rec.open(client, port);
        rec.awaitClosed();
        assertThat(rec.error).containsIgnoringCase("refused").contains("127.0.0.1:" + port);
        assertThat(client.isOpen()).isTrue();
    }

    /** A server that answers and closes while the client still sends: the answer arrives, the writer never hangs. */
    @Test
    void aServerThatClosesEarlyLeavesNoWriterWaiting() throws Exception {
        ServerSocket server = listen();
        CompletableFuture.runAsync(() -> serve(server, (in, out) -> {
            out.write("bye".getBytes(StandardCharsets.UTF_8));
            out.flush();
            in.readNBytes(10);
        }));
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 64; i++) {
                s.write(new byte[1 << 20]);
            }
        });
        rec.awaitClosed();
        assertThatThrownBy(() -> writing.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AgentKernelException.ConflictException.class);
        assertThat(rec.text()).isEqualTo("bye");
        assertThat(rec.error).containsPattern("(?i)reset|broken pipe");
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void closeEndsTheServersSocket() throws Exception {
        ServerSocket server = listen();
        CompletableFuture<Integer> seen = CompletableFuture.supplyAsync(() -> {
            try (Socket c = server.accept()) {
                return c.getInputStream().read(); // -1 once the agent closed its side
            } catch (IOException e) {
                return -2;
            }
        });
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        s.close();
        assertThat(seen.get(10, TimeUnit.SECONDS)).isLessThan(0);
        rec.awaitClosed();
        assertThat(rec.error).isNull();
    }

    /**
     * The window, the defence against a sandbox flooding a connection nobody reads: the agent stops reading the
     * socket at one window unacknowledged, so neither it nor we hold more, and the channel's other calls go on.
     */
    @Test
    void aReaderThatNeverConsumesPausesOnlyItsConnection() throws Exception {
        ServerSocket server = listen();
        AtomicLong flooded = new AtomicLong();
        CompletableFuture.runAsync(() -> serve(server, (in, out) -> {
            byte[] chunk = new byte[64 << 10];
            while (true) {
                out.write(chunk);
                flooded.addAndGet(chunk.length);
            }
        }));
        Recorder rec = new Recorder(false);
        PortStream s = rec.open(client, server.getLocalPort());
        long rssBefore = agentRssKb();
        Thread.sleep(2000);
        assertThat(rec.size()).isEqualTo(PortStream.WINDOW);
        assertThat(flooded.get()).as("the flood is held back by the kernel's socket buffers, not read")
                .isLessThan(16L << 20);
        long t = System.nanoTime();
        ExecResult r = client.exec(sh("echo alive"), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("alive\n");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t)).isLessThan(2000);
        long rssGrowth = agentRssKb() - rssBefore;
        System.out.printf("port flood nobody reads: %d KiB written by the server, %d KiB received, agent RSS +%d KiB,"
                + " exec meanwhile %d ms%n", flooded.get() >> 10, rec.size() >> 10, rssGrowth,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
        assertThat(rssGrowth).as("agent RSS growth in KiB").isLessThan(4096);
        // consuming lets the next window through
        s.consumed(PortStream.WINDOW);
        rec.awaitSize(2 * PortStream.WINDOW);
        s.close();
        rec.awaitClosed();
    }

    /** Abuse: 32 connections flooded at once, none read: each holds one window, the channel stays quick. */
    @Test
    void manyFloodedConnectionsLeaveTheChannelResponsive() throws Exception {
        ServerSocket server = listen();
        int n = 32;
        CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                try {
                    Socket c = server.accept();
                    servers.add(c);
                    Thread flood = new Thread(() -> {
                        try {
                            byte[] chunk = new byte[64 << 10];
                            while (true) {
                                c.getOutputStream().write(chunk);
                            }
                        } catch (IOException e) {
                            // closed by the test
                        }
                    }, "flood");
                    flood.setDaemon(true);
                    flood.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        long rssBefore = agentRssKb();
        List<Recorder> recs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Recorder rec = new Recorder(false);
            rec.open(client, server.getLocalPort());
            recs.add(rec);
        }
        for (Recorder rec : recs) {
            rec.awaitSize(PortStream.WINDOW);
        }
        Thread.sleep(1000);
        long t = System.nanoTime();
        assertThat(client.exec(sh("echo alive"), null, Cancellation.create()).stdout()).isEqualTo("alive\n");
        long execMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
        long rssGrowth = agentRssKb() - rssBefore;
        System.out.printf("%d flooded port connections nobody reads: agent RSS +%d KiB, exec meanwhile %d ms%n", n,
                rssGrowth, execMs);
        assertThat(recs).allSatisfy(r -> assertThat(r.size()).isEqualTo(PortStream.WINDOW));
        assertThat(execMs).isLessThan(2000);
        assertThat(rssGrowth).as("agent RSS growth in KiB").isLessThan(8192);
    }

    @Test
    void aServerThatReadsNothingBlocksOnlyItsWriter() throws Exception {
        ServerSocket server = listen();
        CompletableFuture.runAsync(() -> serve(server, (in, out) -> Thread.sleep(60_000)));
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> s.write(new byte[32 << 20]));
        Thread.sleep(1500);
        assertThat(writing).isNotDone();
        assertThat(s.writable(PortStream.WINDOW)).isFalse();
        CompletableFuture<Void> woken = new CompletableFuture<>();
        s.onWritable(() -> woken.complete(null));
        assertThat(client.exec(sh("echo alive"), null, Cancellation.create()).stdout()).isEqualTo("alive\n");
        s.close();
        woken.get(10, TimeUnit.SECONDS); // a closed stream wakes its waiters (and their write fails at once)
        assertThatThrownBy(() -> writing.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(AgentKernelException.ConflictException.class);
        rec.awaitClosed();
    }

    /** An event loop's way: writable says whether write would wait, onWritable comes once the server reads again. */
    @Test
    void onWritableComesOnceTheServerReads() throws Exception {
        ServerSocket server = listen();
        CompletableFuture<Void> reading = new CompletableFuture<>();
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> {
            try (Socket c = server.accept()) {
                reading.get(30, TimeUnit.SECONDS);
                return c.getInputStream().transferTo(OutputStream.nullOutputStream());
            } catch (Exception e) {
                return -1L;
            }
        });
        Recorder rec = new Recorder(true);
        PortStream s = rec.open(client, server.getLocalPort());
        assertThat(s.writable(PortStream.WINDOW)).isTrue();
        int total = 32 << 20; // beyond what the kernel's socket buffers take, so the window stays full
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> s.write(new byte[total]));
        for (int stable = 0; stable < 10; stable = s.writable(1) ? 0 : stable + 1) {
            Thread.sleep(50);
        }
        CompletableFuture<Void> woken = new CompletableFuture<>();
        s.onWritable(() -> woken.complete(null));
        Thread.sleep(300);
        assertThat(woken).as("woken while the server reads nothing").isNotDone();
        reading.complete(null);
        woken.get(10, TimeUnit.SECONDS);
        writing.get(30, TimeUnit.SECONDS);
        s.closeWrite();
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(total);
    }

    @Test
    void theAgentHoldsAtMostItsCapOfConnections() throws Exception {
        ServerSocket server = listen();
        List<Socket> accepted = new ArrayList<>();
        servers.add(() -> {
            for (Socket c : accepted) {
                c.close();
            }
        });
        List<PortStream> streams = new ArrayList<>();
        for (int i = 0; i < AgentProtocol.MAX_PORTS; i++) {
            streams.add(new Recorder(true).open(client, server.getLocalPort()));
            accepted.add(server.accept());
        }
        assertThatThrownBy(() -> client.openPort(server.getLocalPort(), new Recorder(true)))
                .isInstanceOf(AgentKernelException.BusyException.class).hasMessageContaining("64 port connections");
        Recorder last = new Recorder(true);
        streams.get(0).close();
        for (int i = 0; i < 100 && !openedAfterClose(server, last); i++) {
            Thread.sleep(20);
        }
        PortStream again = last.stream;
        assertThat(again).isNotNull();
        again.write("x".getBytes(StandardCharsets.UTF_8));
        accepted.add(server.accept());
        assertThat(accepted.get(accepted.size() - 1).getInputStream().read()).isEqualTo('x');
    }

    private boolean openedAfterClose(ServerSocket server, Recorder rec) {
        try {
            rec.open(client, server.getLocalPort());
            return true;
        } catch (AgentKernelException.BusyException e) {
            return false; // the first connection's end is not heard yet
        }
    }

    // ---------------------------------------------------------------------------------------------

    private ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        servers.add(s);
        return s;
    }

    interface Session {
        void run(InputStream in, OutputStream out) throws Exception;
    }

    private static void serve(ServerSocket server, Session session) {
        try (Socket c = server.accept()) {
            session.run(c.getInputStream(), c.getOutputStream());
        } catch (Exception e) {
            // the test ended the connection
        }
    }

    private long agentRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + agent.process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS");
    }

    /** Everything a connection delivered; consumes it at once unless told not to. */
    static final class Recorder implements PortListener {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final boolean consume;
        volatile PortStream stream;
        private long owed;
        volatile boolean ended;
        volatile boolean closed;
        volatile String error;

        Recorder(boolean consume) {
            this.consume = consume;
        }

        PortStream open(AgentClient client, int port) {
            PortStream s = client.openPort(port, this);
            long pending;
            synchronized (this) {
                stream = s;
                pending = owed;
                owed = 0;
            }
            if (pending > 0) {
                s.consumed(pending);
            }
            return s;
        }

        @Override
        public void onData(byte[] data) {
            PortStream s;
            synchronized (this) {
                assertThat(closed).isFalse();
                bytes.write(data, 0, data.length);
                notifyAll();
                s = stream;
                if (consume && s == null) {
                    owed += data.length;
                }
            }
            if (consume && s != null) {
                s.consumed(data.length);
            }
        }

        @Override
        public synchronized void onEnd() {
            ended = true;
        }

        @Override
        public synchronized void onClosed(String error) {
            assertThat(closed).as("onClosed twice").isFalse();
            this.error = error;
            closed = true;
            notifyAll();
        }

        synchronized byte[] bytes() {
            return bytes.toByteArray();
        }

        synchronized int size() {
            return bytes.size();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized void awaitClosed() throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!closed) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("the connection did not end; " + bytes.size() + " bytes came");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        synchronized void awaitSize(int size) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (bytes.size() < size) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(bytes.size() + " bytes came, expected " + size);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
