package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event-stream client that never reads costs one bounded buffer, then its connection; never a worker. The
 * command here ({@code flood BYTES}) prints BYTES and then waits to be killed; the client is a raw socket with a
 * tiny receive buffer that reads nothing. Seen failing with the earlier SseStream, whose producer waited for room:
 * the worker stayed pinned until the socket closed.
 */
class SlowReaderTest {
    @TempDir
    Path dir;
    FakeBackend fake;
    ServerFixture f;

    void start(long bufferBytes, Duration stallTimeout) {
        fake = new FakeBackend().handler(cmd -> {
            if (cmd.argv().get(0).equals("flood")) {
                long left = Long.parseLong(cmd.argv().get(1));
                byte[] chunk = "x".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
                while (left > 0) {
                    cmd.out(left >= chunk.length ? chunk : java.util.Arrays.copyOf(chunk, (int) left));
                    left -= chunk.length;
                }
                return cmd.sleep(Duration.ofSeconds(60)) ? 0 : 137;
            }
            return FakeBackend.DEFAULT_HANDLER.run(cmd);
        });
        f = new ServerFixture(fake, ServerFixture.config(8), dir.resolve("audit.jsonl"),
                o -> o.withStreamLimits(bufferBytes, stallTimeout), b -> b);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Opens {@code /run/stream} and reads nothing. */
    Socket stalledReader(String body) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", f.server.port()));
        OutputStream out = s.getOutputStream();
        out.write(("POST /run/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    long metric(String name) {
        for (String line : f.get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).trim()); // Micrometer: "1.0"
            }
        }
        throw new AssertionError("no metric " + name);
    }

    static boolean within(Duration max, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Test
    void aTimedOutCommandFreesItsWorkerWhileTheReaderStalls() throws Exception {
        start(64L * 1024 * 1024, Duration.ofMinutes(5)); // neither limit is reached: only the timeout ends it
        try (Socket s = stalledReader("{\"command\": [\"flood\", \"9000000\"], \"fast\": false, \"timeout_ms\": 1500}")) {
            assertThat(within(Duration.ofSeconds(5), () -> fake.execCount() == 1)).isTrue();
            long t0 = System.nanoTime();
            assertThat(within(Duration.ofSeconds(6), () -> metric("agentkernel_blocking_calls_in_flight") == 0))
                    .as("the worker is free after the command's timeout, though the client reads nothing").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(s.isClosed()).isFalse();
            assertThat(metric("agentkernel_streams_dropped_total")).isZero();
        }
        ServerFixture.assertNothingRunning(fake);
    }

    @Test
    void aReaderThatLetsItsBufferOverflowIsDroppedAndItsCommandCancelled() throws Exception {
        start(64 * 1024, Duration.ofMinutes(5));
        try (Socket s = stalledReader("{\"command\": [\"flood\", \"9000000\"], \"fast\": false}")) {
            assertThat(within(Duration.ofSeconds(10), () -> metric("agentkernel_streams_dropped_total") == 1)).isTrue();
            assertThat(within(Duration.ofSeconds(5), () -> metric("agentkernel_blocking_calls_in_flight") == 0))
                    .as("the cancelled command's worker is free").isTrue();
            ServerFixture.assertNothingRunning(fake);
            assertThat(f.get("/health").status()).isEqualTo(200);
        }
    }

    @Test
    void aReaderThatTakesNothingForTheStallTimeoutIsDropped() throws Exception {
        start(64L * 1024 * 1024, Duration.ofSeconds(1));
        try (Socket s = stalledReader("{\"command\": [\"flood\", \"9000000\"], \"fast\": false}")) {
            long t0 = System.nanoTime();
            assertThat(within(Duration.ofSeconds(15), () -> metric("agentkernel_streams_dropped_total") == 1)).isTrue();
            assertThat(within(Duration.ofSeconds(5), () -> metric("agentkernel_blocking_calls_in_flight") == 0)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            ServerFixture.assertNothingRunning(fake);
        }
    }
}
