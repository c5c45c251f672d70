package dev.agentkernel.docker.agent;

import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's kill and stray rules against the real binary run locally (not PID 1: a subreaper): a timeout or
 * cancel also kills descendants that left the command's session, found by ancestry or by the exec's marker
 * variable; and whatever escaped every rule dies when its exec ends.
 */
class AgentKillTest extends LocalAgentFixture {
    @Test
    void timeoutKillsAChildThatCalledSetsid() throws Exception {
        Path pidFile = dir.resolve("setsid.pid");
        ExecResult r = client.exec(sh("setsid sleep 60 & echo $! > " + pidFile + "; sleep 60")
                .withTimeout(Duration.ofMillis(800)), null, Cancellation.create());
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(137);
        assertGone(pidFile);
    }

    @Test
    void timeoutKillsAnOrphanThatLeftTheSession() throws Exception {
        // The subshell exits at once: the setsid'd sleep is reparented to the agent, found only by its marker.
        Path pidFile = dir.resolve("orphan.pid");
        ExecResult r = client.exec(sh("(setsid sleep 60 & echo $! > " + pidFile + "); sleep 60")
                .withTimeout(Duration.ofMillis(800)), null, Cancellation.create());
        assertThat(r.timedOut()).isTrue();
        assertGone(pidFile);
    }

    @Test
    void timeoutKillsADescendantThatLeftTheSessionAndDroppedTheMarker() throws Exception {
        // env -i clears the marker; the process is still a child of the command, found by ancestry.
        Path pidFile = dir.resolve("clean.pid");
        ExecResult r = client.exec(sh("setsid env -i sleep 60 & echo $! > " + pidFile + "; sleep 60")
                .withTimeout(Duration.ofMillis(800)), null, Cancellation.create());
        assertThat(r.timedOut()).isTrue();
        assertGone(pidFile);
    }

    /** Double fork + setsid + a cleared environment: no session, no marker, no ancestry left to find it by. */
    private static String escape(Path pidFile) {
        return "(setsid env -i sh -c 'echo $$ > " + pidFile + "; exec sleep 60' >/dev/null 2>&1 </dev/null &); "
                + "while [ ! -s " + pidFile + " ]; do sleep 0.05; done";
    }

    @Test
    void aProcessThatEscapedEveryRuleDiesWhenItsExecEnds() throws Exception {
        Path pidFile = dir.resolve("escaped.pid");
        ExecResult r = client.exec(sh(escape(pidFile) + "; echo done"), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("done\n");
        assertGone(pidFile);
    }

    @Test
    void aProcessThatEscapedEveryRuleDiesWhenItsExecTimesOut() throws Exception {
        Path pidFile = dir.resolve("escaped-timeout.pid");
        ExecResult r = client.exec(sh(escape(pidFile) + "; sleep 60").withTimeout(Duration.ofMillis(800)), null,
                Cancellation.create());
        assertThat(r.timedOut()).isTrue();
        assertGone(pidFile);
    }

    @Test
    void cancelKillsAChildThatCalledSetsid() throws Exception {
        Path pidFile = dir.resolve("cancel.pid");
        Cancellation cancel = Cancellation.create();
        List<String> seen = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> f = pool.submit(() -> client.exec(
                    sh("(setsid sleep 60 & echo $! > " + pidFile + "); echo started; sleep 60"),
                    c -> seen.add(c.text()), cancel));
            while (seen.isEmpty()) {
                Thread.sleep(10);
            }
            cancel.cancel();
            ExecResult r = f.get();
            assertThat(r.timedOut()).isTrue();
            assertThat(r.stdout()).isEqualTo("started\n");
        } finally {
            pool.shutdownNow();
        }
        assertGone(pidFile);
    }

    @Test
    void everyExecCarriesItsOwnMarkerThatTheRequestCannotOverride() {
        ExecRequest req = sh("echo \"$AGENTKERNEL_EXEC_ID\"").withEnv(Map.of("AGENTKERNEL_EXEC_ID", "forged"));
        String first = client.exec(req, null, Cancellation.create()).stdout().trim();
        String second = client.exec(req, null, Cancellation.create()).stdout().trim();
        assertThat(first).isNotEmpty().isNotEqualTo("forged").isNotEqualTo(second);
        assertThat(second).isNotEmpty().isNotEqualTo("forged");
    }

    @Test
    void processesOutsideTheExecSurviveItsTimeout() throws Exception {
        // A second exec of the same agent runs on; the sweep must not reach it.
        Path pidFile = dir.resolve("other.pid");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<ExecResult> other = pool.submit(() -> client.exec(sh("echo $$ > " + pidFile + "; exec sleep 3"),
                    null, Cancellation.create()));
            while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
                Thread.sleep(10);
            }
            ExecResult r = client.exec(sh("setsid sleep 60 & sleep 60").withTimeout(Duration.ofMillis(500)), null,
                    Cancellation.create());
            assertThat(r.timedOut()).isTrue();
            ExecResult o = other.get();
            assertThat(o.timedOut()).isFalse();
            assertThat(o.exitCode()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assertGone(Path pidFile) throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(waitGone(pid)).as("process %s that left the session was killed", pid).isTrue();
    }

    /** Gone or a zombie (killed, not yet reaped). */
    static boolean waitGone(long pid) throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                    return true;
                }
            } catch (NoSuchFileException e) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
