package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server killed with SIGKILL mid-create, mid-run and mid-write, then started again on the same audit file:
 * named sandboxes are still listed, temporaries of the dead instance are reaped, and every acknowledged
 * mutation is in the audit log. Also: a container removed behind the server's back reads as gone.
 */
@SuiteKind(Kind.CRASHES)
class CrashIT extends SuiteBase {
    private final List<ChildServer> children = new ArrayList<>();
    private final List<Long> pids = new ArrayList<>();
    private Path dir;
    private String key;

    private ChildServer startChild() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("ak-crash-");
            key = "crash-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        }
        ChildServer c = ChildServer.start(dir, key);
        children.add(c);
        pids.add(c.pid());
        return c;
    }

    private static String prefixOf(long pid) {
        return SuiteServer.owner().split("/")[0] + "/" + pid + "/";
    }

    @AfterEach
    void stopChildren() {
        // Remove what the children made: named sandboxes through the last live server, then a sweep by owner.
        for (ChildServer c : children) {
            c.close();
        }
        for (long pid : pids) {
            for (Container c : Engine.ownedByPrefix(prefixOf(pid))) {
                try {
                    Engine.removeBehindOurBack(c.getId());
                } catch (RuntimeException ignored) {
                    // gone already
                }
            }
        }
    }

    /** Restarts after a SIGKILL and checks everything security.md promises; returns the new server. */
    private ChildServer restartAndVerify(ChildServer dead, Set<String> ackedNamed, List<String[]> ackedEvents)
            throws Exception {
        long t0 = System.nanoTime();
        ChildServer next = startChild();
        // recovery: until /health answers 200 and the acknowledged named sandboxes are listed
        assertThat(waitUntil(60_000, () -> next.http.get("/health").status() == 200)).isTrue();
        assertThat(waitUntil(30_000, () -> {
            JsonNode list = next.http.get("/sandboxes").data();
            Set<String> names = ConcurrentHashMap.newKeySet();
            list.forEach(n -> names.add(n.path("name").asText()));
            return names.containsAll(ackedNamed);
        })).as("acknowledged named sandboxes listed after restart: %s", ackedNamed).isTrue();
        long recoveryMs = ChildServer.since(t0).toMillis();
        Scoreboard.recovery(Kind.CRASHES, recoveryMs);
        // temporaries (run and pool) of the dead instance are reaped by the new one's reconcile
        boolean reaped = waitUntil(30_000, () -> Engine.ownedByPrefix(prefixOf(dead.pid())).stream()
                .allMatch(c -> "named".equals(c.getLabels().get("dev.agentkernel.kind"))));
        if (!reaped) {
            long leaked = Engine.ownedByPrefix(prefixOf(dead.pid())).stream()
                    .filter(c -> !"named".equals(c.getLabels().get("dev.agentkernel.kind"))).count();
            Scoreboard.row(Kind.CRASHES).leakedContainers.addAndGet(leaked);
        }
        assertThat(reaped).as("temporaries of the killed server reaped").isTrue();
        // every acknowledged mutation is in the audit log, and every whole line parses
        String audit = Files.readString(dir.resolve("audit.jsonl"), StandardCharsets.UTF_8);
        List<String> lines = audit.lines().toList();
        int whole = audit.endsWith("\n") ? lines.size() : lines.size() - 1;
        for (int i = 0; i < whole; i++) {
            JsonNode n = RawHttp.JSON.readTree(lines.get(i));
            assertThat(n.hasNonNull("event") && n.hasNonNull("timestamp")).as("audit line %d", i + 1).isTrue();
        }
        long lost = 0;
        for (String[] ev : ackedEvents) {
            boolean found = lines.subList(0, whole).stream().anyMatch(l -> l.contains("\"event\":\"" + ev[0] + "\"")
                    && l.contains("\"sandbox\":" + q(ev[1])) && (ev.length < 3 || l.contains(ev[2])));
            if (!found) {
                lost++;
            }
        }
        Scoreboard.row(Kind.CRASHES).auditLost.addAndGet(lost);
        assertThat(lost).as("acknowledged audit events lost").isZero();
        assertThat(audit).doesNotContain(key);
        return next;
    }

    @Test
    void killedMidCreate() throws Exception {
        ChildServer s = startChild();
        String tag = Long.toHexString(System.nanoTime() & 0xfffffL);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        List<String[]> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 16; i++) {
                String name = "crash-c" + i + "-" + tag;
                pool.submit(() -> {
                    try {
                        RawHttp.Response r = s.http.post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\""
                                + SuiteServer.BUSYBOX + "\"}");
                        if (r.status() == 201) {
                            acked.add(name);
                            events.add(new String[]{"sandbox_created", name});
                        }
                    } catch (RuntimeException killed) {
                        // the server died under this request: not acknowledged
                    }
                });
            }
            waitUntil(60_000, () -> acked.size() >= 3);
            s.kill9();
        } finally {
            pool.shutdown();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
        assertThat(acked).isNotEmpty();
        ChildServer next = restartAndVerify(s, acked, events);
        for (String n : acked) {
            assertThat(next.http.delete("/sandboxes/" + n).status()).isEqualTo(200);
        }
    }

    @ParameterizedTest(name = "[{index}] killed mid-run after {0} ms")
    @ValueSource(ints = {300, 1500})
    void killedMidRun(int afterMs) throws Exception {
        ChildServer s = startChild();
        List<String[]> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            fs.add(pool.submit(() -> {
                try {
                    RawHttp.Response r = s.http.post("/run", cmd("\"image\":\"" + SuiteServer.BUSYBOX + "\"", "sh", "-c",
                            "sleep 5; echo done"));
                    if (r.status() == 200) {
                        events.add(new String[]{"command_executed", r.data().path("sandbox").asText()});
                    }
                } catch (RuntimeException killed) {
                    // not acknowledged
                }
            }));
        }
        Thread.sleep(afterMs);
        // wait until at least one run container exists, so the kill really is mid-run
        waitUntil(20_000, () -> Engine.ownedByPrefix(prefixOf(s.pid())).stream()
                .anyMatch(c -> "run".equals(c.getLabels().get("dev.agentkernel.kind"))));
        s.kill9();
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        restartAndVerify(s, Set.of(), events);
    }

    @Test
    void killedMidWrite() throws Exception {
        ChildServer s = startChild();
        String name = "crash-w-" + Long.toHexString(System.nanoTime() & 0xfffffL);
        assertThat(s.http.post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + SuiteServer.BUSYBOX + "\"}")
                .status()).isEqualTo(201);
        List<String[]> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        events.add(new String[]{"sandbox_created", name});
        Set<Integer> ackedFiles = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int i = 0; i < 40; i++) {
            int n = i;
            pool.submit(() -> {
                try {
                    RawHttp.Response r = s.http.put("/sandboxes/" + name + "/files/tmp/f" + n, "{\"content\":\"v" + n + "\"}");
                    if (r.status() == 200) {
                        ackedFiles.add(n);
                        events.add(new String[]{"file_written", name, "/tmp/f" + n + "\""});
                    }
                } catch (RuntimeException killed) {
                    // not acknowledged
                }
            });
        }
        waitUntil(60_000, () -> ackedFiles.size() >= 5);
        s.kill9();
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        ChildServer next = restartAndVerify(s, Set.of(name), events);
        for (int n : ackedFiles) {
            RawHttp.Response r = next.http.get("/sandboxes/" + name + "/files/tmp/f" + n);
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            assertThat(r.data().path("content").asText()).isEqualTo("v" + n);
        }
        assertThat(next.http.delete("/sandboxes/" + name).status()).isEqualTo(200);
    }

    @Test
    void containerRemovedBehindOurBackReadsAsGone() {
        String name = sandbox("behind", null, SuiteServer.BUSYBOX);
        Engine.removeBehindOurBack(Engine.containerOf(name));
        assertThat(bad(http().get("/sandboxes/" + name)).status()).isEqualTo(404);
        assertThat(bad(http().post("/sandboxes/" + name + "/exec", cmd(null, "true"))).status()).isEqualTo(404);
        assertThat(bad(http().get("/sandboxes/" + name + "/files/etc/passwd")).status()).isEqualTo(404);
        JsonNode list = track(http().get("/sandboxes")).data();
        list.forEach(n -> assertThat(n.path("name").asText()).isNotEqualTo(name));
        assertThat(bad(http().delete("/sandboxes/" + name)).status()).isEqualTo(404);
    }

    @Test
    void containerRemovedDuringExec() throws Exception {
        String name = sandbox("behind-ex", null, SuiteServer.BUSYBOX);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<RawHttp.Response> f = pool.submit(() -> http().post("/sandboxes/" + name + "/exec",
                    cmd("\"timeout_ms\":30000", "sleep", "20")));
            Thread.sleep(1500);
            Engine.removeBehindOurBack(Engine.containerOf(name));
            RawHttp.Response r = track(f.get(60, TimeUnit.SECONDS));
            assertThat(r.status()).as(r.text()).isIn(200, 404, 409, 503);
        } finally {
            pool.shutdownNow();
        }
        assertThat(bad(http().get("/sandboxes/" + name)).status()).isEqualTo(404);
    }
}
