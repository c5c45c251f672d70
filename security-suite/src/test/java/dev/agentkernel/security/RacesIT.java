package dev.agentkernel.security;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Operations racing each other on one sandbox: exactly one winner, clean 4xx for the losers, nothing leaked. */
@SuiteKind(Kind.RACES)
class RacesIT extends SuiteBase {

    /** Starts all calls at once (a latch) and returns their responses in order. */
    private List<RawHttp.Response> together(List<Callable<RawHttp.Response>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<RawHttp.Response>> fs = new ArrayList<>();
            for (Callable<RawHttp.Response> c : calls) {
                fs.add(pool.submit(() -> {
                    go.await();
                    return c.call();
                }));
            }
            go.countDown();
            List<RawHttp.Response> out = new ArrayList<>();
            for (Future<RawHttp.Response> f : fs) {
                out.add(f.get(180, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "[{index}] same name created {0}x at once")
    @ValueSource(ints = {2, 10, 50})
    void sameNameCreatedAtOnce(int n) throws Exception {
        String name = "race-" + n + "-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        cleanup(() -> http().delete("/sandboxes/" + name));
        List<Callable<RawHttp.Response>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(() -> http().post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + SuiteServer.BUSYBOX + "\"}"));
        }
        List<RawHttp.Response> rs = together(calls);
        rs.forEach(r -> {
            if (r.status() == 201) {
                track(r);
            } else {
                bad(r);
            }
        });
        assertThat(rs.stream().filter(r -> r.status() == 201).count()).as(statuses(rs)).isEqualTo(1);
        // Every other request lost the race (409) or was shed by admission control under load (429 + Retry-After).
        assertThat(rs).as(statuses(rs)).allMatch(r -> r.status() == 201 || r.status() == 409
                || (r.status() == 429 && r.header("Retry-After") != null));
        assertThat(rs.stream().filter(r -> r.status() == 409).count()).as(statuses(rs)).isPositive();
        assertThat(Engine.containerOf(name)).isNotNull();
        expectAudit("sandbox_created", name);
    }

    private static String statuses(List<RawHttp.Response> rs) {
        return rs.stream().map(r -> r.status() + (r.status() >= 500 ? " " + r.text() : "")).toList().toString();
    }

    @Test
    void deleteDuringExec() throws Exception {
        String name = sandbox("race-del", null, SuiteServer.BUSYBOX);
        List<RawHttp.Response> rs = together(List.of(
                () -> http().post("/sandboxes/" + name + "/exec", cmd("\"timeout_ms\":20000", "sleep", "30")),
                () -> {
                    Thread.sleep(1500);
                    return http().delete("/sandboxes/" + name);
                }));
        track(rs.get(1));
        assertThat(rs.get(1).status()).isEqualTo(200);
        // The exec ends (killed with its sandbox): a result or a clean 4xx/503, never a hang or a 500.
        assertThat(rs.get(0).status()).as(rs.get(0).text()).isIn(200, 404, 409, 503);
        track(rs.get(0));
        assertThat(track(http().get("/sandboxes/" + name)).status()).isEqualTo(404);
        expectAudit("sandbox_removed", name);
    }

    @Test
    void stopDuringExec() throws Exception {
        String name = sandbox("race-stop", null, SuiteServer.BUSYBOX);
        List<RawHttp.Response> rs = together(List.of(
                () -> http().post("/sandboxes/" + name + "/exec", cmd("\"timeout_ms\":20000", "sleep", "30")),
                () -> {
                    Thread.sleep(1500);
                    return http().post("/sandboxes/" + name + "/stop", "{}");
                }));
        track(rs.get(1));
        assertThat(rs.get(1).status()).isEqualTo(200);
        assertThat(rs.get(0).status()).as(rs.get(0).text()).isIn(200, 409, 503);
        track(rs.get(0));
        RawHttp.Response info = track(http().get("/sandboxes/" + name));
        assertThat(info.data().path("status").asText()).isEqualTo("stopped");
        // and it starts again, with its files
        assertThat(track(http().post("/sandboxes/" + name + "/start", "{}")).status()).isEqualTo(200);
        expectAudit("sandbox_stopped", name);
    }

    @Test
    void doubleDelete() throws Exception {
        String name = sandbox("race-dd", null, SuiteServer.BUSYBOX);
        List<RawHttp.Response> rs = together(List.of(() -> http().delete("/sandboxes/" + name),
                () -> http().delete("/sandboxes/" + name), () -> http().delete("/sandboxes/" + name)));
        assertThat(rs.stream().filter(r -> r.status() == 200).count()).as(statuses(rs)).isEqualTo(1);
        assertThat(rs.stream().filter(r -> r.status() == 404).count()).as(statuses(rs)).isEqualTo(2);
        rs.forEach(r -> {
            if (r.status() == 200) {
                track(r);
            } else {
                bad(r);
            }
        });
        RawHttp.Response again = bad(http().delete("/sandboxes/" + name));
        assertThat(again.status()).isEqualTo(404);
    }

    @Test
    void writesRacingDelete() throws Exception {
        String name = sandbox("race-wd", null, SuiteServer.BUSYBOX);
        List<Callable<RawHttp.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            calls.add(() -> http().put("/sandboxes/" + name + "/files/tmp/f" + n, "{\"content\":\"x" + n + "\"}"));
        }
        calls.add(() -> {
            Thread.sleep(200);
            return http().delete("/sandboxes/" + name);
        });
        List<RawHttp.Response> rs = together(calls);
        assertThat(rs.get(rs.size() - 1).status()).isEqualTo(200);
        for (RawHttp.Response r : rs) {
            assertThat(r.status()).as(r.text()).isIn(200, 404, 409, 503);
            track(r);
        }
        assertThat(Engine.containerOf(name)).isNull();
    }

    @Test
    void execsRacingOnOneSandboxAreBoundedAndClean() throws Exception {
        String name = sandbox("race-ex", null, SuiteServer.BUSYBOX);
        watch(name);
        List<Callable<RawHttp.Response>> calls = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int n = i;
            calls.add(() -> http().post("/sandboxes/" + name + "/exec", cmd(null, "sh", "-c", "echo $((" + n + "*2))")));
        }
        List<RawHttp.Response> rs = together(calls);
        for (int i = 0; i < rs.size(); i++) {
            RawHttp.Response r = rs.get(i);
            assertThat(r.status()).as(r.text()).isIn(200, 429, 503);
            track(r);
            if (r.status() == 200) {
                assertThat(r.data().path("output").asText()).isEqualTo((i * 2) + "\n");
            } else {
                assertThat(r.header("Retry-After")).isNotNull();
            }
        }
        assertThat(rs.stream().filter(r -> r.status() == 200).count()).isPositive();
    }
}
