package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.testkit.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.agentkernel.docker.facade.FacadeSupport.ownedBy;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM is killed with its pool and a running temporary sandbox; a new facade removes them at start and keeps
 * the named sandbox. The dead JVM is real: a child process started with this test's class path and destroyed
 * forcibly (SIGKILL), so nothing of its own clean-up runs. The new facade's reconcile is limited to that child's
 * owner id, because other test runs share the engine and their leftovers are not ours to remove. Conversely another
 * live instance on the shared engine may reap the dead child's temporaries first (that is the product working);
 * the test then checks the end state and the audit lines of those this facade removed, and prints the split.
 */
class ReconcileIT {
    @TempDir
    Path dir;

    @Test
    void aNewFacadeRemovesADeadInstancesTemporariesAndKeepsItsNamedSandboxes() throws Exception {
        String named = "facade-dead-" + FacadeSupport.suffix();
        Path childAudit = dir.resolve("child-audit.jsonl");
        Path audit = dir.resolve("audit.jsonl");
        ChildJvm child = ChildJvm.of(DeadInstanceMain.class.getName(), childAudit.toString(), named).start();
        String owner = null;
        List<String> output = List.of();
        try (Backend raw = FacadeSupport.backend()) {
            try {
                child.awaitLine("READY"::equals, Duration.ofMinutes(2));
                output = child.lines();
                owner = output.stream().filter(l -> l.startsWith("OWNER ")).map(l -> l.substring(6).trim())
                        .findFirst().orElse(null);
                assertThat(owner).as("child output: %s", output).isNotNull();
                child.kill9();
                String dead = owner;
                // What the child left, as it reported it before dying (a list now could race other instances).
                List<String[]> left = output.stream().filter(l -> l.startsWith("SANDBOX "))
                        .map(l -> l.substring(8).split(" ")).toList();
                assertThat(left).extracting(x -> x[0]).containsExactlyInAnyOrder("named", "run", "pool", "pool");
                List<String> temporaries = left.stream().filter(x -> !x[0].equals("named")).map(x -> x[1]).toList();

                // Built right after the kill, so the window in which another instance could reap first is short.
                try (AgentKernel kernel = AgentKernel.builder().backend(FacadeSupport.backend())
                        .config(FacadeSupport.config(audit, 0, 4))
                        .reconcileFilter(s -> dead.equals(s.owner())).build().start()) {
                    assertThat(InstanceId.mayBeAlive(dead)).isFalse();
                    assertThat(ownedBy(raw, dead)).extracting(SandboxInfo::name).containsExactly(named);
                    assertThat(kernel.get(named).running()).isTrue(); // adopted as it was
                    // Each temporary was removed by this facade's reconcile, audited, or (shared engine) by another
                    // live instance's reconcile in the moment between the kill and this build.
                    List<String> reapedHere = temporaries.stream()
                            .filter(n -> !kernel.logs(n, LogQuery.ALL).isEmpty()).toList();
                    assertThat(kernel.reconciledAtStart()).isEqualTo(reapedHere.size());
                    for (String gone : reapedHere) {
                        List<AuditEvent> log = kernel.logs(gone, LogQuery.ALL);
                        assertThat(log).extracting(AuditEvent::event).containsExactly("sandbox_removed");
                        assertThat(log.get(0).details()).containsEntry("reason", "reconcile")
                                .containsEntry("owner", dead);
                    }
                    System.out.println("FIGURES reconcile: this facade removed " + reapedHere.size() + " of "
                            + temporaries.size() + " temporaries of the killed instance (the rest, if any, by another"
                            + " instance sharing the engine)");
                    assertThat(kernel.logs(named, LogQuery.ALL)).isEmpty();
                    kernel.remove(named);
                }
                assertThat(ownedBy(raw, dead)).isEmpty();
            } finally {
                child.kill9();
                // whatever the assertions said: nothing of the dead child stays behind
                try {
                    raw.remove(named);
                } catch (RuntimeException ignored) {
                    // removed by the test itself
                }
                String dead = owner;
                if (dead != null) {
                    for (SandboxInfo s : ownedBy(raw, dead)) {
                        try {
                            raw.remove(s.name());
                        } catch (RuntimeException ignored) {
                            // already gone
                        }
                    }
                }
            }
        }
        System.out.println("child said: " + output.stream().filter(l -> l.startsWith("SANDBOX")).toList());
    }
}
