package dev.agentkernel.kubernetes;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.testkit.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several server replicas on one (simulated) cluster, as {@code deploy/kubernetes} runs them: a sandbox made
 * through one replica is used and removed through the other, whose audit log (the one shared file) shows every
 * event; a replica killed with SIGKILL mid-command loses its temporary sandbox to the other's reconcile once its
 * lease ran out, not before, and the one audit log both wrote tells the whole story with its hash chain intact.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReplicasIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    record Replica(AgentKernel kernel, AgentKernelServer server) implements AutoCloseable {
        String url() {
            return "http://127.0.0.1:" + server.port();
        }

        @Override
        public void close() {
            server.close();
            kernel.close();
        }
    }

    Replica replica(String id, Path audit, java.util.function.Predicate<SandboxInfo> reconcile) {
        AgentKernelConfig config = AgentKernelConfig.forTests(audit);
        AgentKernel kernel = AgentKernel.builder().backend(SimCluster.open(id, Map.of())).config(config)
                .reconcileFilter(reconcile).reconcileInterval(Duration.ofMillis(500)).leaseTtl(LEASE).build().start();
        return new Replica(kernel, AgentKernelServer.start(kernel, ServerOptions.from(config, null).withPort(0)));
    }

    String call(String method, String url, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120));
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void aSandboxMadeThroughOneReplicaIsUsedAndRemovedThroughTheOther() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        String name = "rep-" + UUID.randomUUID().toString().substring(0, 8);
        try (Replica a = replica("replica-a-" + UUID.randomUUID(), audit, s -> false);
             Replica b = replica("replica-b-" + UUID.randomUUID(), audit, s -> false)) {
            assertThat(call("POST", a.url() + "/sandboxes", "{\"name\":\"" + name + "\",\"image\":\""
                    + SimCluster.IMAGE + "\"}")).contains("\"success\":true", "\"status\":\"running\"");
            assertThat(call("POST", b.url() + "/sandboxes/" + name + "/exec", "{\"command\":[\"sh\",\"-c\","
                    + "\"echo via-b; hostname\"]}")).contains("via-b\\n" + SandboxMeta.podName(name));
            assertThat(call("PUT", b.url() + "/sandboxes/" + name + "/files/workspace/note.txt",
                    "{\"content\":\"written through b\"}")).contains("\"success\":true");
            assertThat(call("GET", a.url() + "/sandboxes/" + name + "/files/workspace/note.txt", null))
                    .contains("written through b");
            assertThat(call("DELETE", b.url() + "/sandboxes/" + name, null)).contains("\"success\":true");
            assertThat(call("GET", a.url() + "/sandboxes/" + name, null)).contains("not_found");
            String logs = call("GET", a.url() + "/sandboxes/" + name + "/logs", null);
            assertThat(logs).as("replica a's view of the shared audit log").contains("sandbox_created",
                    "command_executed", "via-b").contains("sandbox_removed");
        }
    }

    @Test
    void aKilledReplicasTemporariesAreReapedByTheOtherOnceItsLeaseRanOut() throws Exception {
        String dying = "replica-dying-" + UUID.randomUUID();
        Path audit = dir.resolve("audit.jsonl"); // one file for both, as deploy/kubernetes shares it
        ChildJvm child = ChildJvm.of(DyingReplicaMain.class.getName(), SimCluster.kubeconfig().toString(),
                audit.toString(), dying, Long.toString(LEASE.toMillis())).start();
        try (Replica survivor = replica("replica-survivor-" + UUID.randomUUID(), audit,
                s -> dying.equals(s.owner()))) {
            child.awaitLine("READY"::equals, Duration.ofMinutes(2));
            String sandbox = child.lines().stream().filter(l -> l.startsWith("SANDBOX ")).findFirst().orElseThrow()
                    .substring("SANDBOX ".length());
            KubernetesBackend look = SimCluster.open("replica-look", Map.of());
            try {
                Thread.sleep(LEASE.multipliedBy(2).toMillis());
                assertThat(look.inspect(sandbox)).as("a live lease keeps it").isPresent();
                child.kill9();
                long killed = System.nanoTime();
                waitUntil(() -> look.inspect(sandbox).isEmpty(), Duration.ofMinutes(1));
                Duration took = Duration.ofNanos(System.nanoTime() - killed);
                // renewed every third of the lease: it ran out between 2/3 of a lease and a lease after the kill
                assertThat(took).as("not reaped before the lease ran out")
                        .isGreaterThan(LEASE.minus(LEASE.dividedBy(3)).minusMillis(500));
                System.out.println("reaped " + took.toMillis() + " ms after the kill (lease " + LEASE.toMillis() + " ms)");
                // The dying replica audited the creation, the survivor the removal, in one unbroken chain.
                waitUntil(() -> {
                    String logs = callUnchecked(survivor.url() + "/sandboxes/" + sandbox + "/logs");
                    return logs.contains("sandbox_created") && logs.contains("\"reason\":\"reconcile\"");
                }, Duration.ofSeconds(10));
                assertThat(survivor.kernel().auditVerify().ok()).as("the shared chain verifies").isTrue();
            } finally {
                look.close();
            }
        } finally {
            child.close();
        }
    }

    private String callUnchecked(String url) {
        try {
            return call("GET", url, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void waitUntil(BooleanSupplier condition, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within " + max).isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
