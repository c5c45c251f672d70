package dev.agentkernel.security;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults of what the server depends on: the audit volume full (mutations refused with 503, never acknowledged
 * unrecorded, and accepted again once there is room, without a restart) and the engine unreachable (503 +
 * Retry-After, and recovery without a restart). Each case runs its own server.
 */
@SuiteKind(Kind.CRASHES)
class FaultsIT extends SuiteBase {
    private SuiteServer own;
    private Path mount;
    private EngineProxy proxy;

    @Override
    protected SuiteServer server() {
        return own != null ? own : super.server();
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
    }

    @Test
    void auditVolumeFullRefusesMutationsThenRecovers() throws Exception {
        mount = Files.createTempDirectory("ak-audit-vol-");
        try {
            sh("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount.toString());
        } catch (Exception e) {
            Assumptions.abort("cannot mount a small tmpfs here (needs root): " + e.getMessage());
        }
        try {
            own = SuiteServer.start(SuiteServer.Options.defaults().withAudit(mount.resolve("audit.jsonl")));
            String name = "full-" + Long.toHexString(System.nanoTime() & 0xfffffL);
            // works while there is room
            assertThat(track(http().post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + SuiteServer.BUSYBOX
                    + "\"}")).status()).isEqualTo(201);
            // fill the volume
            Path filler = mount.resolve("filler");
            try {
                Files.write(filler, new byte[512 * 1024]);
            } catch (IOException full) {
                // expected: the volume is now full
            }
            // Mutations until one is refused: a few may still fit in the audit file's last page, but each one
            // acknowledged must be recorded, and the refused one must leave no container behind.
            java.util.List<String> accepted = new java.util.ArrayList<>();
            RawHttp.Response refused = null;
            for (int i = 0; i < 40 && refused == null; i++) {
                int before = Engine.count(SuiteServer.owner());
                String other = name + "-" + i;
                RawHttp.Response create = track(http().post("/sandboxes", "{\"name\":\"" + other + "\",\"image\":\""
                        + SuiteServer.BUSYBOX + "\"}"));
                if (create.status() == 201) {
                    accepted.add(other);
                    cleanup(() -> http().delete("/sandboxes/" + other));
                    expectAudit("sandbox_created", other);
                } else {
                    refused = create;
                    assertThat(Engine.count(SuiteServer.owner())).as("the unrecorded sandbox must not stay").isEqualTo(before);
                }
            }
            assertThat(refused).as("a mutation refused once the audit volume is full").isNotNull();
            assertThat(refused.status()).as(refused.text()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isNotNull();
            assertThat(accepted.size()).as("accepted into the last page").isLessThan(30);
            RawHttp.Response exec = track(http().post("/sandboxes/" + name + "/exec", cmd(null, "touch", "/tmp/unrecorded")));
            assertThat(exec.status()).as(exec.text()).isEqualTo(503);
            RawHttp.Response write = track(http().put("/sandboxes/" + name + "/files/tmp/x", "{\"content\":\"x\"}"));
            assertThat(write.status()).as(write.text()).isEqualTo(503);
            // nothing unrecorded happened inside: the audit as it stood while the volume was full
            String auditWhileFull = Files.readString(mount.resolve("audit.jsonl"));
            Files.deleteIfExists(filler);
            RawHttp.Response check = track(http().post("/sandboxes/" + name + "/exec", cmd(null, "ls", "/tmp/unrecorded")));
            assertThat(check.status()).isEqualTo(200);
            if (check.data().path("exit_code").asInt() == 0) {
                // It ran: then its intent must be on disk. (A refused batch is rolled back whole, so the smaller
                // command_started line can still fit where the refused create's line did not; the answer is 503
                // because command_executed did not fit.) What must never happen is a command run unrecorded.
                assertThat(auditWhileFull.lines().filter(l -> l.contains("\"event\":\"command_started\"")
                        && l.contains("touch") && l.contains("/tmp/unrecorded")))
                        .as("a command that ran despite the full volume has its intent recorded").isNotEmpty();
            }
            // room again: accepted, without a restart
            assertThat(track(http().delete("/sandboxes/" + name)).status()).isEqualTo(200);
            expectAudit("sandbox_removed", name);
        } finally {
            Files.deleteIfExists(mount.resolve("filler"));
        }
    }

    /** After the universal checks (which still use this case's server and audit file). */
    @Override
    protected void afterChecks() throws Exception {
        if (own != null) {
            own.close();
            own = null;
        }
        if (mount != null) {
            try {
                sh("umount", mount.toString());
            } catch (Exception ignored) {
                // not mounted
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void engineOutageGives503AndRecoversWithoutRestart() throws Exception {
        Path dir = Files.createTempDirectory("ak-proxy-");
        proxy = new EngineProxy(dir);
        own = SuiteServer.start(SuiteServer.Options.defaults().withDockerHost(proxy.dockerHost()));
        try {
            String name = "outage-" + Long.toHexString(System.nanoTime() & 0xfffffL);
            assertThat(track(http().post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + SuiteServer.BUSYBOX
                    + "\"}")).status()).isEqualTo(201);
            proxy.down();
            RawHttp.Response health = track(http().get("/health"));
            assertThat(health.status()).as(health.text()).isEqualTo(503);
            for (RawHttp.Response r : new RawHttp.Response[]{
                    track(http().get("/sandboxes")),
                    track(http().post("/sandboxes/" + name + "/exec", cmd(null, "true"))),
                    track(http().post("/run", cmd("\"image\":\"" + SuiteServer.BUSYBOX + "\"", "true")))}) {
                assertThat(r.status()).as(r.text()).isEqualTo(503);
                assertThat(r.header("Retry-After")).isNotNull();
            }
            long t0 = System.nanoTime();
            proxy.up();
            assertThat(waitUntil(30_000, () -> http().get("/health").status() == 200)).isTrue();
            RawHttp.Response ok = track(http().post("/sandboxes/" + name + "/exec", cmd(null, "echo", "back")));
            assertThat(ok.status()).as(ok.text()).isEqualTo(200);
            System.out.println("engine outage: recovered " + (System.nanoTime() - t0) / 1_000_000 + " ms after the engine came back");
            assertThat(track(http().delete("/sandboxes/" + name)).status()).isEqualTo(200);
        } finally {
            proxy.up();
        }
    }
}
