package dev.agentkernel.docker.agent;

import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Terminals (the agent's PTY request) against the real binary run locally. */
class AgentPtyTest extends LocalAgentFixture {

    @Test
    void theCommandRunsOnATerminalAndItsStatusComesBack() throws Exception {
        Recorder out = new Recorder();
        PtySession s = client.openPty(pty("sh", "-c", "tty; exit 3"), out);
        assertThat(s.exitCode().get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(out.text()).containsPattern("/dev/pts/\\d+");
        assertThat(out.exit).isEqualTo(3);
    }

    @Test
    void sttySizeFollowsAResizeAndInputIsTyped() throws Exception {
        Recorder out = new Recorder();
        PtySession s = client.openPty(new PtyRequest(List.of("sh"), Map.of("PS1", "$ "), null, 24, 80), out);
        s.write("stty size\n".getBytes(StandardCharsets.UTF_8));
        out.await("24 80");
        s.resize(40, 100);
        s.write("stty size; echo $TERM\n".getBytes(StandardCharsets.UTF_8));
        out.await("40 100");
        out.await(PtyRequest.DEFAULT_TERM);
        s.write("exit 7\n".getBytes(StandardCharsets.UTF_8));
        assertThat(s.exitCode().get(10, TimeUnit.SECONDS)).isEqualTo(7);
    }

    @Test
    void ctrlCReachesTheForegroundProcess() throws Exception {
        Recorder out = new Recorder();
        PtySession s = client.openPty(pty("sh", "-c",
                "trap 'echo got-int; exit 5' INT; echo ready; while :; do sleep 0.1; done"), out);
        out.await("ready");
        s.write(new byte[]{3});
        out.await("got-int");
        assertThat(s.exitCode().get(10, TimeUnit.SECONDS)).isEqualTo(5);
    }

    @Test
    void closingKillsTheWholeTree() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        Recorder out = new Recorder();
        PtySession s = client.openPty(pty("sh", "-c", "setsid sleep 60 & echo $! > " + pidFile
                + "; echo started; sleep 60"), out);
        out.await("started");
        s.close();
        assertThat(s.exitCode().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        assertGone(Long.parseLong(Files.readString(pidFile).trim()));
    }

    @Test
    void aMissingProgramEndsTheSessionWith127() throws Exception {
        Recorder out = new Recorder();
        PtySession s = client.openPty(pty("no-such-program-xyz"), out);
        assertThat(s.exitCode().get(10, TimeUnit.SECONDS)).isEqualTo(127);
        assertThat(out.text()).contains("no-such-program-xyz");
    }

    @Test
    void aFloodOfOutputArrivesWhole() throws Exception {
        Recorder out = new Recorder();
        // 8 MiB through the terminal; the count comes back with the exit status (nothing is capped or lost).
        PtySession s = client.openPty(pty("sh", "-c", "stty -opost; head -c 8388608 /dev/zero | tr '\\0' x"), out);
        assertThat(s.exitCode().get(30, TimeUnit.SECONDS)).isZero();
        assertThat(out.size()).isEqualTo(8 << 20);
    }

    private static PtyRequest pty(String... argv) {
        return new PtyRequest(List.of(argv), Map.of(), null, 24, 80);
    }

    static void assertGone(long pid) throws Exception {
        for (int i = 0; i < 200; i++) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                    return;
                }
            } catch (NoSuchFileException e) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("process " + pid + " still runs after the terminal was closed");
    }

    /** Everything the terminal printed, and its exit. */
    static final class Recorder implements PtyListener {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        volatile Integer exit;

        @Override
        public synchronized void onOutput(byte[] data) {
            bytes.write(data, 0, data.length);
            notifyAll();
        }

        @Override
        public synchronized void onExit(int exitCode) {
            exit = exitCode;
            notifyAll();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized int size() {
            return bytes.size();
        }

        synchronized void await(String text) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!text().contains(text)) {
                long left = end - System.nanoTime();
                if (left <= 0 || exit != null) {
                    throw new AssertionError("no '" + text + "' in the terminal's output: " + text());
                }
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, 100_000_000));
            }
        }
    }
}
