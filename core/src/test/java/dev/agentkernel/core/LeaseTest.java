package dev.agentkernel.core;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.agentkernel.core.AgentKernelTest.waitUntil;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ownership by lease: two kernels share one (in-memory) engine as two instances on two hosts would; the one whose
 * lease expires loses its run and pool sandboxes to the other, whatever host it ran on.
 */
class LeaseTest {
    /** Owner ids of other hosts: this host can prove nothing about them, only their lease can. */
    static final String HOST_A = "host-a.example/101/aaaa";
    static final String HOST_B = "host-b.example/202/bbbb";

    @TempDir
    Path dir;
    final List<AgentKernel> kernels = new ArrayList<>();

    @AfterEach
    void closeAll() {
        kernels.forEach(AgentKernel::close);
    }

    private AgentKernel kernel(FakeBackend backend, String audit, int poolSize, Duration reconcileEvery) {
        AgentKernelConfig config = AgentKernelConfig.forTests(dir.resolve(audit))
                .withPool(new AgentKernelConfig.Pool(poolSize, 4));
        AgentKernel k = AgentKernel.builder().backend(backend).config(config).leaseTtl(Duration.ofMillis(300))
                .reconcileInterval(reconcileEvery).build();
        kernels.add(k);
        return k;
    }

    private static Set<String> ownedBy(FakeBackend engine, String owner) {
        return engine.list().stream().filter(s -> owner.equals(s.owner())).map(SandboxInfo::name)
                .collect(Collectors.toSet());
    }

    @Test
    void anInstanceWhoseLeaseExpiredLosesItsTemporariesToAnotherInstance() throws Exception {
        FakeBackend a = new FakeBackend(HOST_A);
        FakeBackend b = a.sharedWith(HOST_B);
        AgentKernel kernelA = kernel(a, "a.jsonl", 1, Duration.ZERO).start();
        waitUntil(() -> kernelA.poolStats().size() == 1);
        Set<String> poolOfA = ownedBy(b, HOST_A);
        assertThat(poolOfA).hasSize(1);

        AgentKernel kernelB = kernel(b, "b.jsonl", 0, Duration.ofMillis(50)).start();
        Thread.sleep(900); // three lease times: only A's renewals keep its pool member alive
        assertThat(ownedBy(b, HOST_A)).as("a live lease keeps its sandboxes").isEqualTo(poolOfA);
        assertThat(b.leases().leases().get(HOST_A).live()).isTrue();

        a.setAvailable(false); // A loses the engine (or dies): its lease is no longer renewed
        String member = poolOfA.iterator().next();
        // the audit event is written after the engine's removal: wait for both
        waitUntil(() -> ownedBy(b, HOST_A).isEmpty() && kernelB.logs(member, LogQuery.ALL).stream()
                .anyMatch(e -> e.event().equals("sandbox_removed")));
        List<AuditEvent> log = kernelB.logs(member, LogQuery.ALL);
        assertThat(log).extracting(AuditEvent::event).contains("sandbox_removed");
        assertThat(log.get(log.size() - 1).details()).containsEntry("reason", "reconcile").containsEntry("owner", HOST_A);
        waitUntil(() -> !b.leases().leases().containsKey(HOST_A)); // nothing left to reap: the record goes too
        assertThat(b.leases().leases().get(HOST_B).live()).as("B's own lease").isTrue();
        a.setAvailable(true);
    }

    @Test
    void theLeaseDecidesForOtherHostsAndADeadPidOfThisHostNeedsNoWaiting() throws Exception {
        FakeBackend engine = new FakeBackend(HOST_B);
        LeaseStore leases = engine.leases();
        String live = "far.example/1/live";
        String expired = "far.example/2/gone";
        String older = "far.example/3/no-lease"; // an older version that keeps no lease: may be alive
        String deadHere = AgentKernelTest.deadOwner();
        leases.renew(live, Duration.ofHours(1));
        leases.renew(expired, Duration.ofMillis(1));
        leases.renew(deadHere, Duration.ofHours(1));
        engine.plant("run-live", SandboxKind.RUN, live, SandboxStatus.RUNNING);
        engine.plant("run-expired", SandboxKind.POOL, expired, SandboxStatus.RUNNING);
        engine.plant("named-expired", SandboxKind.NAMED, expired, SandboxStatus.RUNNING);
        engine.plant("run-older", SandboxKind.RUN, older, SandboxStatus.RUNNING);
        engine.plant("run-dead-here", SandboxKind.RUN, deadHere, SandboxStatus.RUNNING);
        Thread.sleep(5);

        AgentKernel kernel = kernel(engine, "k.jsonl", 0, Duration.ZERO).start();
        assertThat(kernel.reconciledAtStart()).isEqualTo(2);
        assertThat(engine.names()).containsExactlyInAnyOrder("run-live", "named-expired", "run-older");
        assertThat(leases.leases()).as("records of dead holders with nothing left go")
                .containsKeys(live, HOST_B).doesNotContainKeys(expired, deadHere);
    }

    @Test
    void closingRemovesTheLeaseOrExpiresItWhenSandboxesAreLeft() {
        FakeBackend engine = new FakeBackend(HOST_A);
        AgentKernel clean = kernel(engine, "c.jsonl", 0, Duration.ZERO).start();
        assertThat(engine.leases().leases().get(HOST_A).live()).isTrue();
        clean.close();
        assertThat(engine.leases().leases()).doesNotContainKey(HOST_A);

        FakeBackend other = engine.sharedWith(HOST_B);
        AgentKernel leaving = kernel(other, "l.jsonl", 0, Duration.ZERO).start();
        other.plant("run-left", SandboxKind.RUN, HOST_B, SandboxStatus.RUNNING); // e.g. its removal failed
        leaving.close();
        assertThat(engine.leases().leases().get(HOST_B).live()).as("expired, so others reap at once").isFalse();

        AgentKernel next = kernel(engine, "n.jsonl", 0, Duration.ZERO).start();
        assertThat(next.reconciledAtStart()).isEqualTo(1);
        assertThat(engine.leases().leases()).doesNotContainKey(HOST_B);
    }

    @Test
    void kernelsOfOneProcessShareTheLeaseUntilTheLastCloses() {
        FakeBackend engine = new FakeBackend(HOST_A);
        AgentKernel first = kernel(engine, "1.jsonl", 0, Duration.ZERO).start();
        AgentKernel second = kernel(engine, "2.jsonl", 0, Duration.ZERO).start();
        first.close();
        assertThat(engine.leases().leases().get(HOST_A).live()).isTrue();
        second.close();
        assertThat(engine.leases().leases()).doesNotContainKey(HOST_A);
    }
}
