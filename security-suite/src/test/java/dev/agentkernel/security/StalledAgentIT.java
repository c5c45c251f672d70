package dev.agentkernel.security;

import com.github.dockerjava.api.model.Container;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sandbox whose agent stops (frozen from the host with {@code docker pause}: a sandbox can no longer stop its own
 * agent) must cost the server nothing but that sandbox's calls. While its calls pile up (named exec and {@code /run}
 * with megabytes of stdin and clients that give up, a 3 MiB file write, a read), {@code /health} and another
 * sandbox's exec keep answering within about a second; the frozen sandbox's calls fail within their timeout plus a few
 * seconds with 409/503 naming it; DELETE works at once; no worker stays pinned. Also: an event-stream reader that
 * never reads, huge numbers, and {@code //} in paths.
 */
@SuiteKind(Kind.STALLED)
class StalledAgentIT extends SuiteBase {
    static final int MIB = 1024 * 1024;
    /** "Within about a second": the loaded 2-core CI machine gets half a second of slack. */
    static final Duration RESPONSIVE = Duration.ofMillis(1500);
    /** A call of a frozen sandbox fails within its own timeout plus this. */
    static final Duration GRACE = Duration.ofSeconds(5);
    /** The backend's bound on one file operation. */
    static final Duration FILE_TIMEOUT = Duration.ofSeconds(60);

    /** An answer and how long it took; status -1 when the client gave up first. */
    record Timed(int status, String body, Duration took) {
    }

    /** Sends a request and waits for the answer at most {@code patience}, then closes the connection (gives up). */
    Timed send(RawHttp.Request request, Duration patience) {
        long t0 = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", http().port()), 5_000);
            s.setSoTimeout((int) patience.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(request.bytes());
            out.flush();
            RawHttp.Response r = track(RawHttp.Response.read(s.getInputStream()));
            return new Timed(r.status(), r.text(), Duration.ofNanos(System.nanoTime() - t0));
        } catch (SocketTimeoutException e) {
            return new Timed(-1, "", Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String stdin(int bytes) {
        return "\"stdin\":\"" + "a".repeat(bytes) + "\"";
    }

    long metric(String name) {
        for (String line : http().get("/metrics").text().split("\n")) {
            if (line.startsWith(name + " ")) {
                // Prometheus renders every sample as a float ("1.0"); NaN would mean a broken gauge and fails here
                return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    /** Polls /health and an exec in a healthy sandbox until stopped, keeping the slowest answer and any failure. */
    final class Monitor implements AutoCloseable {
        final AtomicLong slowestHealthNanos = new AtomicLong();
        final AtomicLong slowestExecNanos = new AtomicLong();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        Monitor(String neighbour) {
            thread = new Thread(() -> {
                while (running.get()) {
                    Timed h = send(http().request("GET", "/health"), Duration.ofSeconds(30));
                    slowestHealthNanos.accumulateAndGet(h.took().toNanos(), Math::max);
                    if (h.status() != 200) {
                        failures.add("/health " + h.status() + " " + h.body());
                    }
                    Timed x = send(http().request("POST", "/sandboxes/" + neighbour + "/exec")
                            .json(cmd(null, "echo", "calm")), Duration.ofSeconds(30));
                    slowestExecNanos.accumulateAndGet(x.took().toNanos(), Math::max);
                    if (x.status() != 200 || !x.body().contains("calm")) {
                        failures.add("neighbour exec " + x.status() + " " + abbreviate(x.body()));
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "stalled-agent-monitor");
            thread.start();
        }

        /** Stops polling; idempotent. */
        @Override
        public void close() {
            running.set(false);
            try {
                thread.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Pauses each new container of a {@code /run} (name agentkernel-run-...) once it has been running for a second:
     * its agent is up and the run's stdin is on its way.
     */
    Future<?> freezeRunSandboxes(ExecutorService pool, Set<String> before, AtomicBoolean until, Set<String> frozen) {
        Map<String, Long> seen = new HashMap<>();
        return pool.submit(() -> {
            while (until.get()) {
                for (Container c : Engine.owned(SuiteServer.owner())) {
                    boolean run = List.of(c.getNames()).stream().anyMatch(n -> n.startsWith("/agentkernel-run-"));
                    if (!run || before.contains(c.getId()) || !"running".equals(c.getState())) {
                        continue;
                    }
                    long since = seen.computeIfAbsent(c.getId(), k -> System.nanoTime());
                    if (System.nanoTime() - since > 1_000_000_000L && frozen.add(c.getId())) {
                        try {
                            Engine.client().pauseContainerCmd(c.getId()).exec();
                        } catch (RuntimeException e) {
                            frozen.remove(c.getId()); // gone meanwhile
                        }
                    }
                }
                Thread.sleep(100);
            }
            return null;
        });
    }

    @Test
    void aFrozenAgentCostsOnlyItsOwnSandbox() throws Exception {
        String frozen = sandbox("frz", null, SuiteServer.BUSYBOX);
        String neighbour = sandbox("calm", null, SuiteServer.BUSYBOX);
        assertThat(http().put("/sandboxes/" + frozen + "/files/tmp/before.txt", "{\"content\":\"x\"}").status())
                .isEqualTo(200);
        String id = Engine.containerOf(frozen);
        Set<String> before = ConcurrentHashMap.newKeySet();
        Engine.owned(SuiteServer.owner()).forEach(c -> before.add(c.getId()));
        Set<String> pausedRuns = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicBoolean freezing = new AtomicBoolean(true);
        try (Monitor monitor = new Monitor(neighbour)) {
            Thread.sleep(500);
            Engine.client().pauseContainerCmd(id).exec();
            Future<?> runFreezer = freezeRunSandboxes(pool, before, freezing, pausedRuns);

            // Clients that give up: their departure cancels calls into a frozen agent.
            Future<Timed> goneExec = pool.submit(() -> send(http().request("POST", "/sandboxes/" + frozen + "/exec")
                    .json(cmd("\"timeout_ms\":3000," + stdin(4 * MIB), "cat")), Duration.ofSeconds(4)));
            Future<Timed> goneRun = pool.submit(() -> send(http().request("POST", "/run").json(cmd("\"image\":\""
                    + SuiteServer.BUSYBOX + "\",\"timeout_ms\":5000," + stdin(12 * MIB), "sleep", "45")),
                    Duration.ofSeconds(5)));
            // Patient clients: the frozen sandbox's calls must fail in time, naming it.
            Future<Timed> exec = pool.submit(() -> send(http().request("POST", "/sandboxes/" + frozen + "/exec")
                    .json(cmd("\"timeout_ms\":3000," + stdin(2 * MIB), "cat")), Duration.ofSeconds(120)));
            Future<Timed> write = pool.submit(() -> send(http().request("PUT", "/sandboxes/" + frozen
                    + "/files/tmp/big.txt").json("{\"content\":\"" + "b".repeat(3 * MIB) + "\"}"), Duration.ofSeconds(120)));
            Future<Timed> read = pool.submit(() -> send(http().request("GET", "/sandboxes/" + frozen
                    + "/files/tmp/before.txt"), Duration.ofSeconds(120)));

            // The impatient clients give up (-1) unless the server answered first.
            Timed goneExecResult = goneExec.get(30, TimeUnit.SECONDS);
            Timed goneRunResult = goneRun.get(60, TimeUnit.SECONDS);
            Timed execResult = exec.get(150, TimeUnit.SECONDS);
            Timed writeResult = write.get(150, TimeUnit.SECONDS);
            Timed readResult = read.get(150, TimeUnit.SECONDS);
            freezing.set(false);
            runFreezer.get(30, TimeUnit.SECONDS);
            monitor.close();
            System.out.printf("stalled agent: slowest /health %d ms, slowest neighbour exec %d ms; frozen sandbox: exec %d "
                            + "after %d ms, 3 MiB write %d after %d ms, read %d after %d ms; departed exec %d, departed run %d%n",
                    monitor.slowestHealthNanos.get() / 1_000_000, monitor.slowestExecNanos.get() / 1_000_000,
                    execResult.status(), execResult.took().toMillis(), writeResult.status(), writeResult.took().toMillis(),
                    readResult.status(), readResult.took().toMillis(), goneExecResult.status(), goneRunResult.status());
            // The server's side first: nothing of the frozen sandbox reached /health or another sandbox.
            assertThat(monitor.failures).as("/health and the neighbour's exec while the agent is frozen").isEmpty();
            assertThat(Duration.ofNanos(monitor.slowestHealthNanos.get())).as("slowest /health").isLessThan(RESPONSIVE);
            assertThat(Duration.ofNanos(monitor.slowestExecNanos.get())).as("slowest neighbour exec")
                    .isLessThan(RESPONSIVE.multipliedBy(2));
            assertThat(goneExecResult.status()).isIn(-1, 409, 503);
            assertThat(goneRunResult.status()).isIn(-1, 200, 503);
            // The frozen sandbox's own calls fail in time, naming it; once known broken, at once.
            failsInTime(execResult, Duration.ofSeconds(3), frozen, "exec");
            failsInTime(writeResult, FILE_TIMEOUT, frozen, "3 MiB write");
            failsInTime(readResult, FILE_TIMEOUT, frozen, "read");
            Timed again = send(http().request("POST", "/sandboxes/" + frozen + "/exec").json(cmd(null, "true")),
                    Duration.ofSeconds(60));
            failsInTime(again, Duration.ZERO, frozen, "a later exec");
        } finally {
            freezing.set(false);
            pool.shutdownNow();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        RawHttp.Response removed = track(http().delete("/sandboxes/" + frozen));
        assertThat(removed.status()).as(removed.text()).isEqualTo(200);
        Duration deleted = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("stalled agent: DELETE of the frozen sandbox took %d ms%n", deleted.toMillis());
        assertThat(deleted).as("DELETE of the frozen sandbox").isLessThan(Duration.ofSeconds(10));
        assertThat(waitUntil(20_000, () -> metric("agentkernel_blocking_calls_in_flight") == 0))
                .as("no worker stays pinned").isTrue();
        assertThat(waitUntil(60_000, () -> pausedRuns.stream().noneMatch(c -> Engine.owned(SuiteServer.owner()).stream()
                .anyMatch(o -> o.getId().equals(c))))).as("the frozen /run sandbox is removed").isTrue();
    }

    private static void failsInTime(Timed t, Duration timeout, String sandbox, String what) {
        assertThat(t.status()).as(what + ": " + t.body()).isIn(409, 503);
        assertThat(t.body()).as(what).contains("'" + sandbox + "'");
        assertThat(t.took()).as(what + " fails within its timeout + " + GRACE.toSeconds() + " s")
                .isLessThanOrEqualTo(timeout.plus(GRACE));
    }

    @Test
    void aStreamReaderThatNeverReadsPinsNoWorker() throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", http().port()), 5_000);
            OutputStream out = s.getOutputStream();
            out.write(http().request("POST", "/run/stream").json(cmd("\"image\":\"" + SuiteServer.BUSYBOX
                    + "\",\"timeout_ms\":3000", "sh", "-c", "yes 0123456789012345678901234567890123456789 | head -c 50000000; sleep 60"))
                    .bytes());
            out.flush();
            InputStream in = s.getInputStream();
            assertThat(new String(in.readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            long t0 = System.nanoTime();
            // Reads nothing more: the command's timeout (or the stream's dropped client) frees the worker all the same.
            assertThat(waitUntil(20_000, () -> metric("agentkernel_blocking_calls_in_flight") == 0))
                    .as("worker free while the reader stalls").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
            assertThat(track(http().get("/health")).status()).isEqualTo(200);
        }
        assertThat(waitUntil(20_000, () -> metric("agentkernel_streams_active") == 0)).isTrue();
    }

    @Test
    void hugeNumbersAre400NamingTheField() {
        String name = sandbox("num", null, SuiteServer.BUSYBOX);
        List<String[]> cases = new ArrayList<>(List.of(
                new String[]{"/run", cmd("\"timeout_ms\":9223372036854775807", "true"), "timeout_ms"},
                new String[]{"/run", cmd("\"timeout_ms\":86400001", "true"), "timeout_ms"},
                new String[]{"/run", cmd("\"timeout_ms\":1e300", "true"), "timeout_ms"},
                new String[]{"/run", cmd("\"timeout_ms\":-9223372036854775808", "true"), "timeout_ms"},
                new String[]{"/run", cmd("\"vcpus\":2147483648", "true"), "vcpus"},
                new String[]{"/run", cmd("\"memory_mb\":262145", "true"), "memory_mb"},
                new String[]{"/run/stream", cmd("\"timeout_ms\":9223372036854775807", "true"), "timeout_ms"},
                new String[]{"/sandboxes/" + name + "/exec", cmd("\"timeout_ms\":9223372036854775807", "true"), "timeout_ms"},
                new String[]{"/sandboxes/" + name + "/exec/stream", cmd("\"timeout_ms\":99999999999999999999", "true"),
                        "timeout_ms"},
                new String[]{"/batch/run", "{\"commands\":[" + cmd("\"timeout_ms\":9223372036854775807", "true") + "]}",
                        "commands[0].timeout_ms"},
                new String[]{"/sandboxes", "{\"name\":\"n2\",\"memory_mb\":9223372036854775807}", "memory_mb"}));
        for (String[] c : cases) {
            RawHttp.Response r = bad(http().post(c[0], c[1]));
            assertThat(r.status()).as(c[0] + " " + c[1]).isEqualTo(400);
            assertThat(r.json().path("error").asText()).as(c[0] + " " + c[1]).contains(c[2]);
        }
        for (String limit : List.of("100001", "9223372036854775808", "-1")) {
            RawHttp.Response r = bad(http().get("/sandboxes/" + name + "/logs?limit=" + limit));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.json().path("error").asText()).contains("limit");
        }
    }

    @Test
    void doubleSlashesInAPathNameTheNormalisedFile() {
        String name = sandbox("dbl", null, SuiteServer.BUSYBOX);
        RawHttp.Response w = track(http().put("/sandboxes//" + name + "//files//tmp//a.txt", "{\"content\":\"slashes\"}"));
        assertThat(w.status()).as(w.text()).isEqualTo(200);
        assertThat(w.data().asText()).isEqualTo("Wrote 7 bytes to /tmp/a.txt");
        RawHttp.Response ls = track(http().post("/sandboxes/" + name + "/exec",
                cmd(null, "sh", "-c", "cat /tmp/a.txt; echo; ls /files 2>&1")));
        assertThat(ls.data().path("output").asText()).startsWith("slashes\n").contains("No such file");
        RawHttp.Response encoded = track(http().get("/sandboxes/" + name + "/files/tmp%2Fa.txt"));
        assertThat(encoded.data().path("content").asText()).isEqualTo("slashes");
        RawHttp.Response twice = bad(http().get("/sandboxes/" + name + "/files/tmp%252Fa.txt"));
        assertThat(twice.status()).as("decoded once: a file named 'tmp%2Fa.txt', which is not there").isEqualTo(404);
    }
}
