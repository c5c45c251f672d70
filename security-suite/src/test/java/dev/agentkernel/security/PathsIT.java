package dev.agentkernel.security;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * File operations with hostile paths: {@code ..} in every encoding, NUL and control characters, overlong paths,
 * symlinks inside the sandbox to {@code /} and {@code /etc}, FIFOs, devices, directories and over-size files.
 * Paths are resolved in the container's own view, so nothing here may touch or reveal a host file.
 */
@SuiteKind(Kind.PATHS)
class PathsIT extends SuiteBase {
    static String box;

    @BeforeAll
    static void setUp() {
        RawHttp http = SuiteServer.shared().http;
        box = "paths-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        RawHttp.Response r = http.post("/sandboxes", "{\"name\":\"" + box + "\",\"image\":\"" + SuiteServer.BUSYBOX + "\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        // Links and special files made by a command inside the sandbox, as an attacker would.
        RawHttp.Response e = http.post("/sandboxes/" + box + "/exec", cmd(null, "sh", "-c",
                "ln -s / /tmp/rootlink && ln -s /etc /tmp/etclink && ln -s /proc/1/root /tmp/p1 && mkfifo /tmp/fifo"
                        + " && mkdir -p /tmp/dir && echo inside > /tmp/dir/f && ln -s /tmp/fifo /tmp/fifolink"
                        + " && ln -s /dev/zero /tmp/zerolink"));
        assertThat(e.status()).as(e.text()).isEqualTo(200);
        assertThat(e.data().path("exit_code").asInt()).as(e.text()).isZero();
    }

    @AfterAll
    static void tearDown() {
        SuiteServer.shared().http.delete("/sandboxes/" + box);
    }

    private String files(String rest) {
        return "/sandboxes/" + box + "/files/" + rest;
    }

    /** No body may carry a host file's content: the canary, or a line only the host's /etc/passwd has. */
    private void noHostContent(RawHttp.Response r) throws Exception {
        String host = Files.readString(Path.of("/etc/passwd"));
        String inside = r.text();
        for (String line : host.lines().toList()) {
            if (!line.startsWith("root:") && !line.startsWith("nobody:") && !line.isBlank()) {
                assertThat(inside).doesNotContain(line);
            }
        }
        try (var s = Files.list(canaryDir())) {
            for (Path p : s.toList()) {
                assertThat(inside).doesNotContain(Files.readString(p));
            }
        }
    }

    @ParameterizedTest(name = "[{index}] GET files/{0}")
    @ValueSource(strings = {"tmp/../etc/passwd", "tmp/%2e%2e/etc/passwd", "tmp/%2E%2E/etc/passwd", "tmp/.%2e/etc/passwd",
            "tmp/%2e./etc/passwd", "tmp%2f..%2f..%2fetc%2fpasswd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2fetc%2fpasswd",
            "tmp/..%2fetc/passwd", "tmp/..", "..", "tmp/%2e%2e", "tmp/x/../../etc/passwd", "tmp/%c0%ae%c0%ae/etc/passwd",
            "tmp/%c0%af..", "tmp/a%00b", "tmp/a%00/../../etc/passwd", "tmp/%01", "tmp/a%0ab", "tmp/a%0d%0aX-Injected:%201",
            "tmp/%1b[31m", "tmp/%7f", "tmp/%", "tmp/%zz", "tmp/%e2%80%ae", "tmp/"})
    void hostilePathRefused(String rest) throws Exception {
        RawHttp.Response r = bad(http().get(files(rest)));
        assertThat(r.status()).as(r.text()).isBetween(400, 404);
        assertThat(r.headers()).doesNotContainKey("x-injected");
        noHostContent(r);
    }

    @ParameterizedTest(name = "[{index}] PUT files/{0}")
    @ValueSource(strings = {"tmp/../etc/evil", "tmp/%2e%2e/etc/evil", "%2e%2e%2f%2e%2e%2fevil", "tmp/a%00b", "tmp/%0a",
            "tmp/"})
    void hostileWriteRefused(String rest) throws Exception {
        RawHttp.Response r = bad(http().put(files(rest), "{\"content\":\"pwned\"}"));
        assertThat(r.status()).as(r.text()).isBetween(400, 404);
        assertThat(Path.of("/etc/evil")).doesNotExist();
    }

    @Test
    void doubleEncodedDotsAreALiteralName() throws Exception {
        // %252e%252e decodes once to the literal name "%2e%2e": not a parent directory, just a missing file.
        RawHttp.Response r = bad(http().get(files("tmp/%252e%252e/etc/passwd")));
        assertThat(r.status()).as(r.text()).isEqualTo(404);
    }

    @Test
    void overlongPath() throws Exception {
        RawHttp.Response r = bad(http().get(files("tmp/" + "a/".repeat(2100) + "x")));
        assertThat(r.status()).as(r.text()).isBetween(400, 414);
    }

    @Test
    void overlongRequestLineGetsTheEnvelope() throws Exception {
        RawHttp.Response r = bad(http().get(files("tmp/" + "b".repeat(20_000))));
        assertThat(r.status()).as(r.text()).isBetween(400, 431);
    }

    @ParameterizedTest(name = "[{index}] read through symlink {0}")
    @ValueSource(strings = {"tmp/rootlink/etc/passwd", "tmp/etclink/passwd", "tmp/p1/etc/passwd", "tmp/etclink/hostname"})
    void symlinkReadsStayInsideTheSandbox(String rest) throws Exception {
        RawHttp.Response r = track(http().get(files(rest)));
        assertThat(r.status()).as(r.text()).isIn(200, 400, 403, 404);
        noHostContent(r);
    }

    @ParameterizedTest(name = "[{index}] write through symlink {0}")
    @ValueSource(strings = {"tmp/rootlink/etc/ak-suite-evil", "tmp/etclink/ak-suite-evil", "tmp/p1/ak-suite-evil"})
    void symlinkWritesNeverReachTheHost(String rest) throws Exception {
        RawHttp.Response r = track(http().put(files(rest), "{\"content\":\"pwned\"}"));
        assertThat(r.status()).as(r.text()).isIn(200, 400, 403, 404);
        assertThat(Path.of("/etc/ak-suite-evil")).doesNotExist();
        assertThat(Path.of("/ak-suite-evil")).doesNotExist();
        track(http().delete(files(rest)));
    }

    @ParameterizedTest(name = "[{index}] special file {0}")
    @ValueSource(strings = {"tmp/fifo", "tmp/fifolink", "dev/zero", "tmp/zerolink", "dev/urandom", "proc/self/mem",
            "proc/kcore", "dev/stdin", "tmp/dir", "tmp", "proc/1/fd/0"})
    void specialFilesAnswerPromptly(String rest) throws Exception {
        long t0 = System.nanoTime();
        RawHttp.Response r = bad(http().get(files(rest)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.text()).isBetween(400, 413);
        assertThat(ms).as("answered in ms").isLessThan(30_000);
        watch(box);
    }

    @Test
    void writeIntoFifoDoesNotHang() {
        RawHttp.Response r = bad(http().put(files("tmp/fifo"), "{\"content\":\"x\"}"));
        assertThat(r.status()).as(r.text()).isBetween(400, 409);
        watch(box);
    }

    @Test
    void directoryCannotBeDeletedAsAFile() {
        RawHttp.Response r = bad(http().delete(files("tmp/dir")));
        assertThat(r.status()).as(r.text()).isBetween(400, 409);
        RawHttp.Response still = track(http().get(files("tmp/dir/f")));
        assertThat(still.status()).isEqualTo(200);
    }

    @Test
    void fileOverTheSizeLimitIsRefusedOnRead() {
        long max = server().config.limits().maxFileBytes();
        RawHttp.Response mk = track(http().post("/sandboxes/" + box + "/exec", cmd(null, "sh", "-c",
                "dd if=/dev/zero of=/tmp/big bs=1048576 count=" + (max / 1048576 + 2) + " 2>/dev/null; ls -l /tmp/big")));
        assertThat(mk.status()).isEqualTo(200);
        RawHttp.Response r = bad(http().get(files("tmp/big")));
        assertThat(r.status()).as(r.text()).isEqualTo(413);
        track(http().delete(files("tmp/big")));
    }

    @Test
    void contentOverTheBodyLimitIsRefusedOnWrite() {
        long max = server().config.server().maxBodyBytes();
        String content = Base64.getEncoder().encodeToString(new byte[(int) max]);
        RawHttp.Response r = bad(http().put(files("tmp/huge"), "{\"content\":\"" + content + "\",\"encoding\":\"base64\"}"));
        assertThat(r.status()).isEqualTo(413);
    }

    @Test
    void concurrentWritesToOneFileLeaveOneWholeVersion() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<RawHttp.Response>> fs = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String body = ("v" + i + "-").repeat(2000);
                fs.add(pool.submit(() -> http().put(files("tmp/shared.txt"), "{\"content\":\"" + body + "\"}")));
            }
            for (Future<RawHttp.Response> f : fs) {
                assertThat(track(f.get()).status()).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }
        String content = track(http().get(files("tmp/shared.txt"))).data().path("content").asText();
        String first = content.substring(0, content.indexOf('-') + 1);
        assertThat(content).isEqualTo(first.repeat(2000));
        watch(box);
    }

    @Test
    void unicodeAndSpacesRoundTrip() {
        RawHttp.Response w = track(http().put(files("tmp/h%C3%A9llo%20w%C3%B6rld.txt"), "{\"content\":\"ok \\u00e9\"}"));
        assertThat(w.status()).as(w.text()).isEqualTo(200);
        RawHttp.Response r = track(http().get(files("tmp/h%C3%A9llo%20w%C3%B6rld.txt")));
        assertThat(r.data().path("content").asText()).isEqualTo("ok \u00e9");
    }

    @Test
    void stoppedSandboxFiles409() {
        String name = sandbox("paths-stopped", null, SuiteServer.BUSYBOX);
        assertThat(track(http().post("/sandboxes/" + name + "/stop", "{}")).status()).isEqualTo(200);
        RawHttp.Response r = bad(http().get("/sandboxes/" + name + "/files/etc/passwd"));
        assertThat(r.status()).as(r.text()).isEqualTo(409);
        RawHttp.Response w = bad(http().put("/sandboxes/" + name + "/files/tmp/x", "{\"content\":\"x\"}"));
        assertThat(w.status()).as(w.text()).isEqualTo(409);
    }
}
