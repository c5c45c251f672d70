package dev.agentkernel.docker.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The single writer of a channel: order, priority, bounded queue, stall measurement. */
class AgentWriterTest {
    private final Pipe pipe = Pipe.open();
    private final DataInputStream agentSide = new DataInputStream(Channels.newInputStream(pipe.source()));
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    private final AgentWriter writer = new AgentWriter("t", Channels.newOutputStream(pipe.sink()), 2 << 20, failure::set);

    AgentWriterTest() throws IOException {
    }

    @AfterEach
    void close() throws IOException {
        writer.fail(new IOException("test over"));
        pipe.sink().close();
        pipe.source().close();
    }

    private static AgentFrame frame(byte type, int id, int size) {
        return new AgentFrame(type, id, new byte[size]);
    }

    /** The writer is blocked in a write: a frame larger than the pipe holds, not read yet. */
    private void blockTheWriter() throws Exception {
        writer.send(frame(AgentProtocol.FILE_DATA, 1, 512 * 1024), Long.MAX_VALUE);
        long t0 = System.nanoTime();
        while (writer.stalledNanos(System.nanoTime()) == 0) {
            assertThat(System.nanoTime() - t0).as("writer started writing").isLessThan(TimeUnit.SECONDS.toNanos(5));
            Thread.sleep(5);
        }
    }

    @Test
    void urgentFramesOvertakeDataButNeverTheFrameThatOpensTheirRequest() throws Exception {
        blockTheWriter();
        writer.send(frame(AgentProtocol.STDIN, 7, 10), Long.MAX_VALUE);
        writer.send(frame(AgentProtocol.STDIN, 7, 10), Long.MAX_VALUE);
        writer.send(frame(AgentProtocol.EXEC, 9, 10), Long.MAX_VALUE);
        writer.sendUrgent(new AgentFrame(AgentProtocol.KILL, 9, null)); // its EXEC is still queued: waits for it
        writer.sendUrgent(new AgentFrame(AgentProtocol.KILL, 7, null)); // overtakes 7's stdin
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            AgentFrame f = AgentFrame.read(agentSide);
            order.add(String.format("%02x:%d", f.type() & 0xff, f.id()));
        }
        assertThat(order).containsExactly("07:1", "04:7", "03:7", "03:7", "02:9", "04:9");
        // The writer notes that its write returned just after the bytes reach the pipe, so the reader may see the
        // last frame first (CI-like load saw 195662 ns): the stall must clear, not at the very instant.
        long t0 = System.nanoTime();
        while (writer.stalledNanos(System.nanoTime()) != 0) {
            assertThat(System.nanoTime() - t0).as("the writer's stall cleared").isLessThan(TimeUnit.SECONDS.toNanos(5));
            Thread.sleep(5);
        }
    }

    @Test
    void sendWaitsForRoomOnlyUntilItsDeadlineAndUrgentNeverWaits() throws Exception {
        blockTheWriter();
        // 2 MiB of room: seven 256 KiB chunks (with their headers) leave no room for an eighth
        for (int i = 0; i < 7; i++) {
            writer.send(frame(AgentProtocol.STDIN, 3, AgentProtocol.CHUNK), System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> writer.send(frame(AgentProtocol.STDIN, 3, AgentProtocol.CHUNK),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300))).isInstanceOf(AgentWriter.QueueFull.class);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(250L, 3_000L);
        long u0 = System.nanoTime();
        writer.sendUrgent(new AgentFrame(AgentProtocol.KILL, 3, null));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - u0)).isLessThan(100);
        assertThat(writer.stalledNanos(System.nanoTime())).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(250));
    }

    @Test
    void failingWakesWaitingSendersAndRefusesMore() throws Exception {
        blockTheWriter();
        for (int i = 0; i < 7; i++) {
            writer.send(frame(AgentProtocol.STDIN, 3, AgentProtocol.CHUNK), Long.MAX_VALUE);
        }
        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                writer.send(frame(AgentProtocol.STDIN, 3, AgentProtocol.CHUNK), Long.MAX_VALUE);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(200);
        assertThat(waiting).isNotDone();
        writer.fail(new IOException("gone"));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).hasMessage("gone");
        assertThatThrownBy(() -> writer.sendUrgent(new AgentFrame(AgentProtocol.KILL, 3, null))).hasMessage("gone");
    }

    @Test
    void discardDropsTheQueuedFramesOfOneRequestOnly() throws Exception {
        blockTheWriter();
        writer.send(frame(AgentProtocol.STDIN, 7, 10), Long.MAX_VALUE);
        writer.send(frame(AgentProtocol.STDIN, 8, 10), Long.MAX_VALUE);
        writer.send(frame(AgentProtocol.STDIN, 7, 10), Long.MAX_VALUE);
        assertThat(writer.discard(7, AgentProtocol.STDIN)).isEqualTo(2);
        assertThat(AgentFrame.read(agentSide).id()).isEqualTo(1);
        assertThat(AgentFrame.read(agentSide).id()).isEqualTo(8);
    }
}
