package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The real {@link AgentClient} against an agent that lies, floods, stops reading or stops answering
 * ({@link FakeAgent}): every case ends with a clear error naming the sandbox within a bounded time, nothing is
 * kept beyond the call's limits, and the agent is blamed ({@link AgentClient#fault()}) exactly when it misbehaved.
 */
class MisbehavingAgentTest {
    private FakeAgent agent;
    private AgentClient client;

    @BeforeEach
    void start() throws IOException {
        agent = new FakeAgent();
    }

    @AfterEach
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        agent.close();
    }

    private static <T> CompletableFuture<T> async(Supplier<T> s) {
        return CompletableFuture.supplyAsync(s);
    }

    /** The call failed as a protocol violation, naming the sandbox, and the client closed the channel. */
    private void assertViolation(CompletableFuture<?> call, String detail) throws Exception {
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(AgentKernelException.class)
                .hasMessageContaining("sandbox 'fake'").hasMessageContaining("broke the protocol")
                .hasMessageContaining(detail)
                .satisfies(e -> assertThat(((AgentKernelException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE));
        assertThat(client.isOpen()).isFalse();
        assertThat(client.fault()).contains("broke the protocol");
        assertThat(agent.closedWithin(Duration.ofSeconds(5))).as("the client closed the channel").isTrue();
        // later calls fail at once
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client.exec(ExecRequest.of("true"), null, Cancellation.create()))
                .isInstanceOf(AgentKernelException.class).hasMessageContaining("sandbox 'fake'");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
    }

    private CompletableFuture<ExecResult> exec(ExecRequest r) {
        return async(() -> client.exec(r, null, Cancellation.create()));
    }

    @Test
    void oversizedFrameIsAViolationAndNothingOfItIsRead() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.raw(ByteBuffer.allocate(AgentProtocol.HEADER_BYTES).putInt(AgentProtocol.MAX_PAYLOAD + 1)
                .put(AgentProtocol.R_STDOUT).putInt(e.id()).array());
        assertViolation(call, "a frame of " + (AgentProtocol.MAX_PAYLOAD + 1) + " bytes");
    }

    /**
     * The client's half of the port window: an agent that sends more than a window its caller has not consumed is
     * lying (the real one stops reading the socket), so nothing beyond the window is held; seen to fail with the
     * check in AgentPort's PORT_DATA case removed (the 1.25 MiB are delivered and the connection stays open).
     */
    @Test
    void portDataBeyondTheWindowIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        AgentPortTest.Recorder rec = new AgentPortTest.Recorder(false);
        rec.open(client, 8000);
        AgentFrame open = agent.next(AgentProtocol.PORT);
        agent.send(AgentProtocol.R_PORT, open.id(), new byte[0]);
        for (int i = 0; i < 5; i++) {
            agent.send(AgentProtocol.R_PORT_DATA, open.id(), new byte[256 << 10]);
        }
        rec.awaitClosed();
        assertThat(rec.error).contains("over the window");
        assertThat(rec.size()).isLessThanOrEqualTo(dev.agentkernel.api.PortStream.WINDOW);
        assertThat(client.isOpen()).isFalse();
        assertThat(client.fault()).contains("broke the protocol");
    }

    @Test
    void aPortAcknowledgementOfBytesNeverSentIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        AgentPortTest.Recorder rec = new AgentPortTest.Recorder(true);
        dev.agentkernel.api.PortStream s = rec.open(client, 8000);
        AgentFrame open = agent.next(AgentProtocol.PORT);
        s.write(new byte[10]);
        agent.next(AgentProtocol.PORT_DATA);
        agent.send(AgentProtocol.R_PORT_ACK, open.id(), AgentProtocol.portAck(11));
        rec.awaitClosed();
        assertThat(rec.error).contains("PACK of 11 bytes");
        assertThat(client.fault()).contains("broke the protocol");
    }

    @Test
    void garbageIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        agent.next(AgentProtocol.EXEC);
        agent.raw("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertViolation(call, "a frame of ");
    }

    @Test
    void frameForAnIdNeverUsedIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(AgentProtocol.R_STDOUT, e.id() + 1000, "forged".getBytes(StandardCharsets.UTF_8));
        assertViolation(call, "never used");
    }

    @Test
    void frameAfterTheCallEndedIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> first = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.exit(e.id(), 3, 0);
        assertThat(first.get(5, TimeUnit.SECONDS).exitCode()).isEqualTo(3);
        CompletableFuture<ExecResult> second = exec(ExecRequest.of("true"));
        agent.next(AgentProtocol.EXEC);
        agent.exit(e.id(), 0, 0); // a second EXIT for the first call
        assertViolation(second, "had ended");
    }

    @ParameterizedTest(name = "[{index}] frame type {0} in answer to an exec")
    @ValueSource(bytes = {(byte) 0x81, (byte) 0x86, (byte) 0x87, (byte) 0x88, (byte) 0x42, 0x02})
    void wrongFrameTypeForAnExecIsAViolation(byte type) throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(type, e.id(), new byte[16]);
        assertViolation(call, "");
    }

    @Test
    void exitFrameOfTheWrongSizeIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(AgentProtocol.R_EXIT, e.id(), new byte[5]);
        assertViolation(call, "EXIT of 5 bytes");
    }

    @Test
    void exitCodeOutOfRangeIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true"));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.exit(e.id(), -5, 0);
        assertViolation(call, "code -5");
    }

    @Test
    void wrongFrameTypeForAFileReadIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<byte[]> call = async(() -> client.readFile("/etc/hosts", 1000));
        AgentFrame r = agent.next(AgentProtocol.FILE_READ);
        agent.exit(r.id(), 0, 0);
        assertViolation(call, "in answer to a file request");
    }

    @Test
    void fileDataInAnswerToADeleteIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> client.deleteFile("/tmp/x"));
        AgentFrame r = agent.next(AgentProtocol.FILE_DELETE);
        agent.send(AgentProtocol.R_FILE_DATA, r.id(), new byte[10]);
        assertViolation(call, "in answer to a file write or delete");
    }

    @Test
    void outputOverTheCapIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true").withMaxOutputBytes(1000));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(AgentProtocol.R_STDOUT, e.id(), new byte[600]);
        agent.send(AgentProtocol.R_STDOUT, e.id(), new byte[401]);
        assertViolation(call, "1001 bytes of stdout, over the cap of 1000");
    }

    @Test
    void stdinAcknowledgedBeyondWhatWasSentIsAViolation() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("cat").withStdin(new byte[10]));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(AgentProtocol.R_STDIN_ACK, e.id(), ByteBuffer.allocate(9).putLong(1 << 30).put((byte) 0).array());
        assertViolation(call, "STDIN_ACK of " + (1 << 30));
    }

    @Test
    void endlessFileDataPastTheLimitIsTooLargeAtOnceAndTheRestIsNeverRead() throws Exception {
        client = agent.connect(FakeAgent.quick());
        int limit = 1 << 20;
        CompletableFuture<byte[]> call = async(() -> client.readFile("/big", limit));
        AgentFrame r = agent.next(AgentProtocol.FILE_READ);
        // A lying agent streams forever; count what it manages to push before the client shuts the channel.
        CompletableFuture<Long> pushed = CompletableFuture.supplyAsync(() -> {
            long n = 0;
            byte[] chunk = new byte[64 * 1024];
            try {
                while (n < 1L << 31) {
                    agent.send(AgentProtocol.R_FILE_DATA, r.id(), chunk);
                    n += chunk.length;
                }
            } catch (IOException closed) {
                // the client closed the channel: what we expect
            }
            return n;
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOf(AgentKernelException.TooLargeException.class).hasMessageContaining("/big");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        // The client stopped reading at the limit: only the pipe's and the reader's small buffers took more.
        assertThat(pushed.get(5, TimeUnit.SECONDS)).isLessThan(limit + 512L * 1024);
        assertThat(client.fault()).contains("more file data than the " + limit + " bytes");
    }

    @Test
    void agentThatNeverAnswersHelloFailsTheConnectInTime() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> agent.connectSilently(FakeAgent.quick(), Duration.ofSeconds(1)))
                .isInstanceOf(AgentKernelException.class).hasMessageContaining("sandbox 'fake'")
                .hasMessageContaining("did not answer the handshake")
                .satisfies(e -> assertThat(AgentClient.faultOf(e)).isNotNull());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void agentThatStopsAnsweringPingFailsALongCallWithinTheSilenceLimit() throws Exception {
        client = agent.connect(FakeAgent.quick());
        agent.answerPings = false;
        long t0 = System.nanoTime();
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("sleep", "60").withTimeout(Duration.ofSeconds(60)));
        agent.next(AgentProtocol.EXEC);
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(AgentKernelException.class)
                .hasMessageContaining("sandbox 'fake'").hasMessageContaining("did not answer for 1.0 s");
        // silence limit 1 s + ping interval 0.2 s + watchdog tick 0.25 s, with slack for a busy machine
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(client.fault()).startsWith("did not answer");
    }

    @Test
    void busyAgentThatAnswersPingGetsTheBackstopAndIsNotBlamed() throws Exception {
        client = agent.connect(FakeAgent.quick());
        long t0 = System.nanoTime();
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("sleep", "60").withTimeout(Duration.ofMillis(300)));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        // no EXIT: the agent is "busy killing"; after timeout + backstop the client asks it to kill
        assertThat(agent.next(AgentProtocol.KILL).id()).isEqualTo(e.id());
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(AgentKernelException.OperationTimeoutException.class).hasMessageContaining("sandbox 'fake'");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(4_000L, 8_000L); // 0.3 s + 2 s backstop + 2 s after the KILL
        assertThat(client.isOpen()).isTrue();
        assertThat(client.fault()).isNull();
    }

    @Test
    void agentThatStopsReadingFailsEveryCallWithinTheWriteDeadlineAndKillNeverBlocks() throws Exception {
        client = agent.connect(FakeAgent.quick());
        agent.reading(false); // reads the next frame (the EXEC), then nothing more
        Cancellation cancel = Cancellation.create();
        long t0 = System.nanoTime();
        CompletableFuture<ExecResult> big = async(() -> client.exec(ExecRequest.of("cat")
                .withStdin(new byte[10 << 20]).withTimeout(Duration.ofSeconds(60)), null, cancel));
        CompletableFuture<byte[]> other = async(() -> client.readFile("/etc/hosts", 1000));
        Thread.sleep(300);
        // An event loop cancelling: the KILL is queued, never written by this thread.
        long c0 = System.nanoTime();
        cancel.cancel();
        assertThat(Duration.ofNanos(System.nanoTime() - c0)).isLessThan(Duration.ofMillis(100));
        for (CompletableFuture<?> f : java.util.List.of(big, other)) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(AgentKernelException.class)
                    .hasMessageContaining("sandbox 'fake'").hasMessageContaining("took no data for");
        }
        // write deadline 1 s + tick, with slack
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(client.fault()).startsWith("took no data");
    }

    @Test
    void stdinIsPacedByAcknowledgementsOnTheCallingThread() throws Exception {
        client = agent.connect(FakeAgent.quick());
        // The agent reads every frame but never acknowledges stdin (a command that does not read it).
        long t0 = System.nanoTime();
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("sleep", "60").withStdin(new byte[10 << 20])
                .withTimeout(Duration.ofMillis(500)));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        Thread.sleep(1_000);
        assertThat(agent.stdinBytes.get()).as("stdin beyond the window").isEqualTo(AgentProtocol.STDIN_WINDOW);
        // Acknowledging lets more through; the agent then ends the command at its timeout.
        agent.send(AgentProtocol.R_STDIN_ACK, e.id(), ByteBuffer.allocate(9).putLong(AgentProtocol.STDIN_WINDOW)
                .put((byte) 0).array());
        Thread.sleep(300);
        assertThat(agent.stdinBytes.get()).isEqualTo(2L * AgentProtocol.STDIN_WINDOW);
        agent.exit(e.id(), 137, AgentProtocol.EXIT_TIMED_OUT);
        ExecResult r = call.get(5, TimeUnit.SECONDS);
        assertThat(r.timedOut()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        assertThat(client.fault()).isNull();
    }

    @Test
    void stdinClosedByTheCommandStopsTheUpload() throws Exception {
        client = agent.connect(FakeAgent.quick());
        CompletableFuture<ExecResult> call = exec(ExecRequest.of("true").withStdin(new byte[10 << 20]));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        agent.send(AgentProtocol.R_STDIN_ACK, e.id(), ByteBuffer.allocate(9).putLong(0).put((byte) 1).array());
        Thread.sleep(300);
        long seen = agent.stdinBytes.get();
        agent.exit(e.id(), 0, 0);
        assertThat(call.get(5, TimeUnit.SECONDS).exitCode()).isZero();
        assertThat(seen).isLessThanOrEqualTo(AgentProtocol.STDIN_WINDOW);
    }

    @Test
    void killOvertakesQueuedStdinButNeverItsOwnExec() throws Exception {
        client = agent.connect(FakeAgent.quick());
        agent.reading(false); // the EXEC is read; then the agent stalls while stdin piles up in the client
        Cancellation cancel = Cancellation.create();
        CompletableFuture<ExecResult> call = async(() -> client.exec(ExecRequest.of("cat")
                .withStdin(new byte[4 * AgentProtocol.CHUNK]).withTimeout(Duration.ofSeconds(30)), null, cancel));
        AgentFrame e = agent.next(AgentProtocol.EXEC);
        Thread.sleep(200);
        cancel.cancel();
        agent.reading(true);
        int stdinFramesBeforeKill = 0;
        for (AgentFrame f; (f = agent.next()).type() != AgentProtocol.KILL; ) {
            if (f.type() == AgentProtocol.STDIN) {
                stdinFramesBeforeKill++;
            }
        }
        // At most the frame the writer was in the middle of (plus the one the fake read before stalling).
        assertThat(stdinFramesBeforeKill).isLessThanOrEqualTo(2);
        agent.exit(e.id(), 137, AgentProtocol.EXIT_CANCELLED);
        assertThat(call.get(5, TimeUnit.SECONDS).timedOut()).isTrue();
    }
}
