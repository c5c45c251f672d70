package dev.agentkernel.security;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many clients at once, slow clients and huge batches: the server bounds what it accepts (429/503 with
 * Retry-After, never a 500), keeps answering /health, and leaves nothing behind. The default sizes fit CI; the
 * {@code heavy} tag runs the same cases at 1000 (scripts/security-suite.sh --heavy).
 */
@SuiteKind(Kind.PRESSURE)
class PressureIT extends SuiteBase {

    private Map<Integer, Integer> fire(int n, int threads, Callable<RawHttp.Response> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        Map<Integer, Integer> byStatus = new TreeMap<>();
        try {
            List<Future<RawHttp.Response>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(call));
            }
            for (Future<RawHttp.Response> f : fs) {
                RawHttp.Response r = track(f.get(300, TimeUnit.SECONDS));
                byStatus.merge(r.status(), 1, Integer::sum);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println(getClass().getSimpleName() + ": " + n + " requests -> " + byStatus);
        return byStatus;
    }

    private void concurrentRuns(int n) throws Exception {
        Map<Integer, Integer> s = fire(n, Math.min(n, 200), () -> http().post("/run",
                cmd("\"image\":\"" + SuiteServer.BUSYBOX + "\"", "echo", "hi")));
        assertThat(s.keySet()).as("only 200, 429, 503").isSubsetOf(200, 429, 503);
        assertThat(s.getOrDefault(200, 0)).isPositive();
        expectAudit("command_executed", null);
    }

    @Test
    void hundredConcurrentRuns() throws Exception {
        concurrentRuns(100);
    }

    @Test
    @Tag("heavy")
    void thousandConcurrentRuns() throws Exception {
        concurrentRuns(1000);
    }

    @Test
    void concurrentCreatesAreBounded() throws Exception {
        String tag = Long.toHexString(System.nanoTime() & 0xfffffL);
        int[] i = {0};
        List<String> names = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            names.add("press-" + k + "-" + tag);
        }
        names.forEach(n -> cleanup(() -> http().delete("/sandboxes/" + n)));
        Map<Integer, Integer> s = fire(20, 20, () -> {
            String name;
            synchronized (i) {
                name = names.get(i[0]++);
            }
            return http().post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + SuiteServer.BUSYBOX + "\"}");
        });
        assertThat(s.keySet()).isSubsetOf(201, 429, 503);
        assertThat(s.getOrDefault(201, 0)).isPositive();
    }

    @Test
    void concurrentStreamsEndCleanly() throws Exception {
        Map<Integer, Integer> s = fire(30, 30, () -> {
            RawHttp.Response r = http().post("/run/stream", cmd("\"image\":\"" + SuiteServer.BUSYBOX + "\"", "sh", "-c",
                    "for i in 1 2 3; do echo line$i; sleep 0.2; done"));
            if (r.status() == 200) {
                String body = r.text();
                assertThat(body).contains("event: started").containsAnyOf("event: done", "event: error");
            }
            return r;
        });
        assertThat(s.keySet()).isSubsetOf(200, 429, 503);
    }

    @Test
    void bigBatch() throws Exception {
        batch(24);
    }

    @Test
    @Tag("heavy")
    void maximalBatch() throws Exception {
        batch(dev.agentkernel.api.Validation.MAX_BATCH);
    }

    private void batch(int n) throws Exception {
        StringBuilder b = new StringBuilder("{\"commands\":[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"command\":[\"echo\",\"").append(i).append("\"],\"image\":\"")
                    .append(SuiteServer.BUSYBOX).append("\"}");
        }
        RawHttp.Response r = track(http().post("/batch/run", b.append("]}").toString()));
        assertThat(r.status()).as(abbreviate(r.text())).isIn(200, 400, 413, 429, 503);
        if (r.status() == 200) {
            assertThat(r.data().path("results").size()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                var item = r.data().path("results").get(i);
                assertThat(item.path("output").isNull() ? item.path("error").asText() : item.path("output").asText())
                        .as("item %d", i).isIn(i + "\n", item.path("error").asText());
            }
        }
    }

    @Test
    void batchOfTenThousandIsRefusedOrBounded() throws Exception {
        StringBuilder b = new StringBuilder("{\"commands\":[");
        for (int i = 0; i < 10_000; i++) {
            b.append(i == 0 ? "" : ",").append("{\"command\":[\"true\"]}");
        }
        long t0 = System.nanoTime();
        RawHttp.Response r = bad(http().post("/batch/run", b.append("]}").toString()));
        assertThat(r.status()).as(abbreviate(r.text())).isEqualTo(400);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
    }

    private void slowloris(int connections, int idleSeconds) throws Exception {
        try (SuiteServer own = SuiteServer.start(SuiteServer.Options.defaults().withIdleTimeout(Duration.ofSeconds(idleSeconds)))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", own.port()), 5_000);
                    s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-".getBytes(StandardCharsets.US_ASCII));
                    sockets.add(s);
                }
                // a half-sent body too
                Socket body = new Socket();
                body.connect(new InetSocketAddress("127.0.0.1", own.port()), 5_000);
                body.getOutputStream().write(("POST /run HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + own.apiKey
                        + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"comm").getBytes(StandardCharsets.US_ASCII));
                sockets.add(body);
                // the server keeps answering others meanwhile
                long t0 = System.nanoTime();
                RawHttp.Response h = own.http.get("/health");
                assertThat(h.status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
                // and drops every slow connection after the idle timeout
                long deadline = System.currentTimeMillis() + (idleSeconds + 20) * 1000L;
                int closed = 0;
                for (Socket s : sockets) {
                    s.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                    try {
                        InputStream in = s.getInputStream();
                        while (in.read() >= 0) {
                            // drain whatever the server says before closing
                        }
                        closed++;
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        // counted below
                    } catch (java.io.IOException reset) {
                        closed++;
                    }
                }
                assertThat(closed).as("slow connections closed by the server").isEqualTo(sockets.size());
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @Test
    void slowlorisIsCut() throws Exception {
        slowloris(50, 2);
    }

    @Test
    @Tag("heavy")
    void slowlorisAtScale() throws Exception {
        slowloris(1000, 3);
    }

    @Test
    void slowSseReaderDoesNotHoldTheServer() throws Exception {
        int before = Engine.count(SuiteServer.owner());
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", http().port()), 5_000);
            OutputStream out = s.getOutputStream();
            out.write(http().request("POST", "/run/stream").json(cmd("\"image\":\"" + SuiteServer.BUSYBOX
                    + "\",\"timeout_ms\":60000", "sh", "-c", "yes 0123456789012345678901234567890123456789 | head -c 50000000")).bytes());
            out.flush();
            s.getInputStream().readNBytes(512); // started, then read nothing for a while
            Thread.sleep(3_000);
            RawHttp.Response h = track(http().get("/health"));
            assertThat(h.status()).isEqualTo(200);
        }
        // client gone: the command is cancelled and its sandbox removed
        assertThat(waitUntil(30_000, () -> Engine.count(SuiteServer.owner()) <= before)).isTrue();
    }
}
