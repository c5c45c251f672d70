package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent's exec protocol against the real binary, run as a local process (no Docker). */
class AgentClientTest extends LocalAgentFixture {
    @Test
    void handshakeReportsVersionAndIdentity() {
        assertThat(client.hello().version()).isEqualTo(AgentProtocol.VERSION);
        assertThat(client.hello().pid()).isEqualTo(agent.process.pid());
    }

    @Test
    void runsArgvAndKeepsStreamsApart() {
        ExecResult r = client.exec(sh("echo out; echo err >&2; exit 3"), null, Cancellation.create());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.timedOut()).isFalse();
        assertThat(r.truncated()).isFalse();
    }

    @Test
    void argumentsAreNotShellSplit() {
        ExecResult r = client.exec(ExecRequest.of("printf", "%s|", "a b", "$HOME", "'q'"), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("a b|$HOME|'q'|");
    }

    @Test
    void reportsDeathBySignalAs128PlusSignal() {
        assertThat(client.exec(sh("kill -TERM $$"), null, Cancellation.create()).exitCode()).isEqualTo(143);
        assertThat(client.exec(sh("kill -KILL $$"), null, Cancellation.create()).exitCode()).isEqualTo(137);
    }

    @Test
    void hugeTimeoutsSaturateInsteadOfOverflowing() {
        for (Duration t : List.of(Duration.ofMillis(Long.MAX_VALUE), Duration.ofSeconds(Long.MAX_VALUE),
                Duration.ofDays(365L * 1000))) {
            ExecResult r = client.exec(ExecRequest.of("echo", "ok").withTimeout(t), null, Cancellation.create());
            assertThat(r.stdout()).isEqualTo("ok\n");
            assertThat(r.timedOut()).isFalse();
        }
    }

    @Test
    void commandsInheritNoFdOfTheAgent() {
        // Only the fresh pipes 0, 1, 2 (ls itself opens one more for the directory it lists).
        ExecResult r = client.exec(sh("ls /proc/self/fd | sort -n | tr '\\n' ' '"), null, Cancellation.create());
        assertThat(r.stdout().trim()).isEqualTo("0 1 2 3");
    }

    @Test
    void stdinIsDeliveredAndEnds() {
        ExecResult r = client.exec(ExecRequest.of("cat").withStdin("line1\nline2".getBytes(StandardCharsets.UTF_8)),
                null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("line1\nline2");
        // no stdin at all is an immediate EOF, so cat ends
        ExecResult empty = client.exec(ExecRequest.of("wc", "-c"), null, Cancellation.create());
        assertThat(empty.stdout().trim()).isEqualTo("0");
    }

    @Test
    void largeStdinAndOutputSurviveIntact() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(data);
        ExecResult r = client.exec(ExecRequest.of("sha256sum").withStdin(data), null, Cancellation.create());
        String expected = java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(r.stdout()).startsWith(expected);

        List<byte[]> chunks = new CopyOnWriteArrayList<>();
        ExecResult big = client.exec(ExecRequest.of("head", "-c", "5000000", "/dev/zero"), c -> chunks.add(c.bytes()),
                Cancellation.create());
        assertThat(big.exitCode()).isZero();
        assertThat(chunks.stream().mapToInt(b -> b.length).sum()).isEqualTo(5_000_000);
        assertThat(chunks.size()).isGreaterThan(1);
    }

    @Test
    void envAndWorkdirApply() throws Exception {
        Files.createDirectories(dir.resolve("wd"));
        ExecResult r = client.exec(sh("echo \"$GREETING\"; pwd").withEnv(Map.of("GREETING", "hi there"))
                .withWorkdir(dir.resolve("wd").toString()), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("hi there\n" + dir.resolve("wd").toRealPath() + "\n");
        // the agent's own environment is inherited
        assertThat(client.exec(sh("echo $PATH"), null, Cancellation.create()).stdout().trim()).isNotEmpty();
    }

    @Test
    void missingProgramIs127AndBadWorkdirIs126() {
        ExecResult missing = client.exec(ExecRequest.of("no-such-program-xyz"), null, Cancellation.create());
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.stderr()).contains("no-such-program-xyz");
        ExecResult badDir = client.exec(ExecRequest.of("true").withWorkdir("/no/such/dir"), null, Cancellation.create());
        assertThat(badDir.exitCode()).isEqualTo(126);
        assertThat(badDir.stderr()).contains("/no/such/dir");
    }

    @Test
    void timeoutKillsTheWholeProcessGroup() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        ExecResult r = client.exec(sh("sleep 30 & echo $! > " + pidFile + "; sleep 30")
                .withTimeout(Duration.ofMillis(500)), null, Cancellation.create());
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
        long bg = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(waitGone(bg)).as("background child %s killed with the group", bg).isTrue();
    }

    @Test
    void cancelKillsTheCommand() throws Exception {
        Cancellation cancel = Cancellation.create();
        List<String> seen = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> f = pool.submit(() -> client.exec(sh("echo started; exec sleep 30"),
                    c -> seen.add(c.text()), cancel));
            while (seen.isEmpty()) {
                Thread.sleep(10);
            }
            cancel.cancel();
            ExecResult r = f.get();
            assertThat(r.timedOut()).isTrue();
            assertThat(r.exitCode()).isEqualTo(137);
            assertThat(r.stdout()).isEqualTo("started\n");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void outputCapTruncatesWithoutBlockingTheCommand() {
        ExecResult r = client.exec(sh("head -c 200000 /dev/zero; echo done >&2").withMaxOutputBytes(1000), null,
                Cancellation.create());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).hasSize(1000);
        assertThat(r.stderr()).isEqualTo("done\n");
        assertThat(r.truncated()).isTrue();
    }

    @Test
    void backgroundProcessHoldingThePipeDoesNotHoldTheResult() {
        ExecResult r = client.exec(sh("echo fg; (sleep 5; echo late) &"), null, Cancellation.create());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("fg\n");
        assertThat(r.duration()).isLessThan(Duration.ofSeconds(4));
        // the connection is still fine afterwards
        assertThat(client.exec(ExecRequest.of("echo", "next"), null, Cancellation.create()).stdout()).isEqualTo("next\n");
    }

    @Test
    void concurrentExecsOnOneConnectionGetTheirOwnOutput() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<ExecResult>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                futures.add(pool.submit(() -> client.exec(sh("for i in 1 2 3; do echo " + n + "-$i; done; exit " + (n % 7))
                        .withStdin(("in" + n).getBytes(StandardCharsets.UTF_8)), null, Cancellation.create())));
            }
            for (int i = 0; i < futures.size(); i++) {
                ExecResult r = futures.get(i).get();
                assertThat(r.stdout()).isEqualTo(i + "-1\n" + i + "-2\n" + i + "-3\n");
                assertThat(r.exitCode()).isEqualTo(i % 7);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listenerSeesChunksInOrderWithStreams() {
        List<OutputChunk> chunks = new CopyOnWriteArrayList<>();
        // Two pipes: order across streams holds when the gaps exceed scheduling delays (the machine is shared).
        client.exec(sh("echo a; sleep 0.3; echo b >&2; sleep 0.3; echo c"), chunks::add, Cancellation.create());
        assertThat(chunks).extracting(c -> c.stream().wireName() + ":" + c.text())
                .containsExactly("stdout:a\n", "stderr:b\n", "stdout:c\n");
    }

    @Test
    void deadAgentFailsCallsWithBackendUnavailable() throws Exception {
        agent.process.destroyForcibly().waitFor();
        assertThatThrownBy(() -> {
            for (int i = 0; i < 3; i++) {
                client.exec(ExecRequest.of("true"), null, Cancellation.create());
                Thread.sleep(50);
            }
        }).isInstanceOf(AgentKernelException.class)
                .satisfies(e -> assertThat(((AgentKernelException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE));
        assertThat(client.isOpen()).isFalse();
    }

    private static boolean waitGone(long pid) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
