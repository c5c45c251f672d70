package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Detached commands against the real agent binary run locally: the record and the output stay with the agent
 * (that a restarted server finds them is {@code DetachedCommandsIT}'s), exit codes are the command's own, a kill takes the whole tree, output is capped,
 * and a running detached command is spared by the stray rule when another exec ends.
 */
class AgentDetachedTest extends LocalAgentFixture {

    private AgentProtocol.DetachedInfo awaitEnd(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            AgentProtocol.DetachedInfo i = client.detachedList(id).get(0);
            if (!i.running()) {
                return i;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("detached command " + id + " did not end");
    }

    @Test
    void exitCodeStatusAndBothStreamsAreKept() throws Exception {
        int pid = client.detachedStart("a1", sh("echo out; echo err >&2; exit 7"));
        assertThat(pid).isPositive();
        AgentProtocol.DetachedInfo i = awaitEnd("a1");
        assertThat(i.exitCode()).isEqualTo(7);
        assertThat(i.argv()).containsExactly("sh", "-c", "echo out; echo err >&2; exit 7");
        assertThat(i.startedMs()).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
        assertThat(new String(client.detachedLogs("a1", 0, 1 << 20), StandardCharsets.UTF_8)).isEqualTo("out\n");
        assertThat(new String(client.detachedLogs("a1", 1, 1 << 20), StandardCharsets.UTF_8)).isEqualTo("err\n");
    }

    @Test
    void killTakesTheWholeTreeAndTheStatusSaysKilled() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        client.detachedStart("k", sh("(setsid sleep 60 & echo $! > " + pidFile + "); sleep 60"));
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            Thread.sleep(10);
        }
        long child = Long.parseLong(Files.readString(pidFile).trim());
        client.detachedKill("k");
        AgentProtocol.DetachedInfo i = awaitEnd("k");
        assertThat(i.exitCode()).isEqualTo(137);
        assertThat(i.has(AgentProtocol.EXIT_CANCELLED)).isTrue();
        assertThat(AgentKillTest.waitGone(child)).as("the setsid'd child of the killed command").isTrue();
    }

    @Test
    void outputBeyondTheCapIsDroppedAndFlagged() throws Exception {
        client.detachedStart("big", sh("head -c 100000 /dev/zero").withMaxOutputBytes(1000));
        AgentProtocol.DetachedInfo i = awaitEnd("big");
        assertThat(i.exitCode()).isZero();
        assertThat(i.has(AgentProtocol.EXIT_TRUNCATED)).isTrue();
        assertThat(client.detachedLogs("big", 0, 1 << 20)).hasSize(1000);
    }

    @Test
    void aRunningDetachedCommandSurvivesTheEndOfOtherExecs() throws Exception {
        client.detachedStart("bg", sh("sleep 30"));
        ExecResult r = client.exec(sh("echo other"), null, Cancellation.create());
        assertThat(r.stdout()).isEqualTo("other\n");
        Thread.sleep(200);
        assertThat(client.detachedList("bg").get(0).running()).as("spared by the stray rule").isTrue();
        client.detachedKill("bg");
        assertThat(awaitEnd("bg").exitCode()).isEqualTo(137);
    }

    @Test
    void unknownIdsAndMissingProgramsAreClearErrors() {
        assertThatThrownBy(() -> client.detachedList("nope")).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> client.detachedKill("nope")).isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> client.detachedLogs("nope", 0, 10))
                .isInstanceOf(AgentKernelException.NotFoundException.class);
        assertThatThrownBy(() -> client.detachedStart("x", sh("true").withWorkdir("/no/such/dir")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("/no/such/dir");
        assertThatThrownBy(() -> client.detachedStart("y", dev.agentkernel.api.ExecRequest.of("/no/such/program")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("/no/such/program");
    }

    /** At most 64 records: with all of them running a new one is BUSY; the oldest ended record makes room. */
    @Test
    void sixtyFourRecordsAtMostAndTheOldestEndedOneMakesRoom() throws Exception {
        for (int i = 0; i < 64; i++) {
            client.detachedStart("r" + i, sh("sleep 30"));
        }
        assertThatThrownBy(() -> client.detachedStart("r64", sh("true")))
                .isInstanceOf(AgentKernelException.BusyException.class).hasMessageContaining("64 detached commands");
        client.detachedKill("r3");
        client.detachedKill("r5");
        awaitEnd("r3");
        awaitEnd("r5");
        client.detachedStart("r64", sh("true"));
        List<String> ids = client.detachedList(null).stream().map(AgentProtocol.DetachedInfo::id).toList();
        assertThat(ids).hasSize(64).contains("r64", "r5").doesNotContain("r3");
        for (String id : ids) {
            client.detachedKill(id);
        }
    }

    @Test
    void aTakenIdIsRefused() throws IOException {
        client.detachedStart("same", sh("sleep 5"));
        assertThatThrownBy(() -> client.detachedStart("same", sh("true")))
                .isInstanceOf(AgentKernelException.class);
        client.detachedKill("same");
    }
}
