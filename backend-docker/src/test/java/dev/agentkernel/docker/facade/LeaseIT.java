package dev.agentkernel.docker.facade;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.testkit.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.agentkernel.docker.facade.FacadeSupport.ownedBy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances on the real engine, the first as if on another host (its owner id names a host that is not this
 * one, so no pid check can help): while it renews its lease the second leaves its temporaries alone; once it is
 * killed (SIGKILL, a separate JVM) the lease runs out and the second instance's periodic reconcile reaps them, keeps
 * the named sandbox, and removes the dead lease record. The second instance's reconcile is limited to the first's
 * owner id: other test runs share the engine.
 */
class LeaseIT {
    private static final Duration LEASE = Duration.ofSeconds(4);

    @TempDir
    Path dir;

    @Test
    void theTemporariesOfAnInstanceOnAnotherHostAreReapedWhenItsLeaseRunsOut() throws Exception {
        String named = "lease-named-" + FacadeSupport.suffix();
        String owner = "lease-it.other-host.invalid/1/" + FacadeSupport.suffix();
        assertThat(InstanceId.mayBeAlive(owner)).as("this host cannot tell").isTrue();
        ChildJvm child = ChildJvm.of(DeadInstanceMain.class.getName(), dir.resolve("child.jsonl").toString(), named,
                owner, Long.toString(LEASE.toMillis()), "1").start();
        try (DockerBackend raw = FacadeSupport.backend()) {
            child.awaitLine("READY"::equals, Duration.ofMinutes(2));
            List<String> output = child.lines();
            List<String> temporaries = output.stream().filter(l -> l.startsWith("SANDBOX ")
                    && !l.startsWith("SANDBOX named ")).map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
            assertThat(temporaries).as("child output: %s", output).hasSize(2); // a run and a pool member

            try (AgentKernel kernel = AgentKernel.builder().backend(FacadeSupport.backend())
                    .config(FacadeSupport.config(dir.resolve("audit.jsonl"), 0, 4))
                    .reconcileFilter(s -> owner.equals(s.owner())).reconcileInterval(Duration.ofMillis(500))
                    .build().start()) {
                Thread.sleep(LEASE.multipliedBy(2).toMillis()); // every reconcile meanwhile sees a renewed lease
                assertThat(ownedBy(raw, owner)).extracting(SandboxInfo::name).as("a live lease keeps them")
                        .containsAll(temporaries);
                assertThat(raw.leases().leases().get(owner).live()).isTrue();

                child.kill9();
                long killed = System.nanoTime();
                FacadeSupport.waitUntil(() -> ownedBy(raw, owner).stream().allMatch(s -> s.name().equals(named)),
                        Duration.ofMinutes(1));
                Duration took = Duration.ofNanos(System.nanoTime() - killed);
                for (String gone : temporaries) {
                    List<AuditEvent> log = kernel.logs(gone, LogQuery.ALL);
                    // Reaped by this instance; on a loaded engine a removal may be answered with an error although
                    // the engine completes it (then the event is operation_failed and the next pass finds it gone).
                    assertThat(log).as("%s", log).isNotEmpty().allSatisfy(e -> assertThat(e.event())
                            .isIn("sandbox_removed", "operation_failed"));
                    log.stream().filter(e -> e.event().equals("sandbox_removed")).forEach(e -> assertThat(e.details())
                            .containsEntry("reason", "reconcile").containsEntry("owner", owner));
                }
                assertThat(kernel.get(named).running()).as("named sandboxes are adopted, never reaped").isTrue();
                FacadeSupport.waitUntil(() -> !raw.leases().leases().containsKey(owner), Duration.ofSeconds(30));
                System.out.printf("FIGURES lease: temporaries of a killed instance (lease %d s) reaped %.1f s after"
                        + " the kill%n", LEASE.toSeconds(), took.toMillis() / 1000.0);
                kernel.remove(named);
            }
        } finally {
            child.kill9();
            try (DockerBackend raw = FacadeSupport.backend()) {
                for (SandboxInfo s : ownedBy(raw, owner)) {
                    try {
                        raw.remove(s.name());
                    } catch (RuntimeException ignored) {
                        // already gone
                    }
                }
                raw.leases().delete(owner);
            }
        }
    }
}
