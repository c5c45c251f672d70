package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The universal checks of docs/security.md, in one place, run after every case: the server is up, every answer
 * has the right status class and envelope and leaks nothing (stack trace, class name, host path, key), no
 * container, exec process, thread or file handle leaked, host canary files are unchanged, and the audit log is
 * parseable with the expected events in it. Cases record the responses they got with {@link #track}/{@link #bad}.
 */
abstract class SuiteBase {
    private static final Path CANARY_DIR = createCanaries();
    private static final int THREAD_SLACK = 48;
    private static final int FD_SLACK = 64;

    private final List<RawHttp.Response> seen = new CopyOnWriteArrayList<>();
    private final List<RawHttp.Response> badSeen = new CopyOnWriteArrayList<>();
    private final List<String[]> expectedEvents = new CopyOnWriteArrayList<>();
    private final Set<String> watched = new LinkedHashSet<>();
    private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();
    private boolean expectHealthy = true;
    private int containersBefore;
    private int threadsBefore;
    private long fdsBefore;
    private long auditLinesBefore;
    private Path auditFileBefore;
    private Map<Path, String> canaries;

    /** The server the case talks to; the shared one unless a class needs its own. */
    protected SuiteServer server() {
        return SuiteServer.shared();
    }

    protected RawHttp http() {
        return server().http;
    }

    protected Kind kind() {
        SuiteKind k = getClass().getAnnotation(SuiteKind.class);
        return k == null ? Kind.VALIDATION : k.value();
    }

    @BeforeEach
    final void baseline() throws IOException {
        // What the previous case recorded (a class with one instance for all its cases keeps its fields).
        seen.clear();
        badSeen.clear();
        expectedEvents.clear();
        watched.clear();
        cleanups.clear();
        expectHealthy = true;
        containersBefore = objectsOfThisRun();
        threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        fdsBefore = openFiles();
        auditLinesBefore = auditLines().size();
        auditFileBefore = server().auditFile;
        canaries = hashCanaries();
    }

    // ---- what a case records ----

    /** A response to a well-formed request. */
    protected RawHttp.Response track(RawHttp.Response r) {
        seen.add(r);
        return r;
    }

    /** A response to a bad request: it must be a 4xx (never a 5xx), in the envelope. */
    protected RawHttp.Response bad(RawHttp.Response r) {
        seen.add(r);
        badSeen.add(r);
        return r;
    }

    /** The audit log must gain this event (for this sandbox, or any when null) during the case. */
    protected void expectAudit(String event, String sandbox) {
        expectedEvents.add(new String[]{event, sandbox});
    }

    /** A long-lived sandbox that must have no process left behind by the case's commands. */
    protected void watch(String sandbox) {
        watched.add(sandbox);
    }

    /** Runs before the universal checks (e.g. removing a sandbox the case made). */
    protected void cleanup(Runnable r) {
        cleanups.add(0, r);
    }

    /** For cases that take the engine away on purpose: /health may then say 503. */
    protected void healthMayBeDown() {
        expectHealthy = false;
    }

    // ---- helpers shared by the cases ----

    /** Creates a named sandbox, removed after the case. */
    protected String sandbox(String prefix, String profile, String image) {
        return sandbox(prefix, profile, image, 256);
    }

    protected String sandbox(String prefix, String profile, String image, int memoryMb) {
        String name = prefix + "-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        String body = "{\"name\":\"" + name + "\",\"image\":\"" + image + "\""
                + (profile == null ? "" : ",\"profile\":\"" + profile + "\"") + ",\"memory_mb\":" + memoryMb + "}";
        RawHttp.Response r = track(http().post("/sandboxes", body));
        assertThat(r.status()).as("create %s: %s", name, r.text()).isEqualTo(201);
        cleanup(() -> http().delete("/sandboxes/" + name));
        return name;
    }

    protected static String q(String s) {
        try {
            return RawHttp.JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON for {"command":[...]} plus extra raw fields. */
    protected static String cmd(String extra, String... argv) {
        StringBuilder b = new StringBuilder("{\"command\":[");
        for (int i = 0; i < argv.length; i++) {
            b.append(i == 0 ? "" : ",").append(q(argv[i]));
        }
        b.append(']');
        if (extra != null && !extra.isEmpty()) {
            b.append(',').append(extra);
        }
        return b.append('}').toString();
    }

    protected static boolean waitUntil(long maxMs, BooleanSupplier ok) {
        long deadline = System.currentTimeMillis() + maxMs;
        while (true) {
            if (ok.getAsBoolean()) {
                return true;
            }
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Containers (pods and claims on Kubernetes) the servers of this JVM made on the case's backend. */
    protected int objectsOfThisRun() {
        return server().view.objectsOf(SuiteServer.owner()).size();
    }

    // ---- the universal checks ----

    /** Runs after the universal checks, even when they fail (e.g. closing a server of the case's own). */
    protected void afterChecks() throws Exception {
    }

    @AfterEach
    final void universalChecks() throws Exception {
        try {
            runChecks();
        } finally {
            afterChecks();
        }
    }

    private void runChecks() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Runnable c : cleanups) {
            try {
                c.run();
            } catch (RuntimeException e) {
                problems.add("cleanup failed: " + e);
            }
        }
        Scoreboard.Row row = Scoreboard.row(kind());
        row.requests.addAndGet(seen.size());
        row.badInput.addAndGet(badSeen.size());

        // 1. the server is up
        RawHttp.Response health = http().get("/health");
        if (expectHealthy && health.status() != 200) {
            problems.add("/health answered " + health.status() + ": " + health.text());
        }
        // 2. status and envelope; nothing leaked in a body
        for (RawHttp.Response r : badSeen) {
            if (r.status() >= 500) {
                row.badInput5xx.incrementAndGet();
                problems.add("bad input got " + r.status() + ": " + r.text());
            } else if (r.status() < 400) {
                problems.add("bad input was accepted with " + r.status() + ": " + abbreviate(r.text()));
            }
        }
        for (RawHttp.Response r : seen) {
            problems.addAll(leaks(r));
            // /health has its own shape by contract ({"status":"unavailable",...}); every other error the envelope.
            if (r.status() >= 400 && !r.text().startsWith("{\"status\"")) {
                problems.addAll(envelope(r));
            }
            if ((r.status() == 429 || r.status() == 503) && r.header("Retry-After") == null) {
                problems.add(r.status() + " without Retry-After");
            }
        }
        // 3. no container, exec process, thread or file handle leaked
        int[] containers = {0};
        waitUntil(20_000, () -> (containers[0] = objectsOfThisRun()) <= containersBefore);
        if (containers[0] > containersBefore) {
            row.leakedContainers.addAndGet(containers[0] - containersBefore);
            problems.add("containers of this run: " + containersBefore + " before, " + containers[0] + " after");
        }
        for (String s : watched) {
            String id = server().view.containerOf(s);
            if (id == null) {
                continue;
            }
            List<String>[] stray = new List[]{List.of()};
            waitUntil(10_000, () -> (stray[0] = Engine.strayProcesses(id)).isEmpty());
            if (!stray[0].isEmpty()) {
                problems.add("processes left in sandbox " + s + ": " + stray[0]);
            }
        }
        int[] threads = {0};
        waitUntil(10_000, () -> (threads[0] = ManagementFactory.getThreadMXBean().getThreadCount())
                <= threadsBefore + THREAD_SLACK);
        if (threads[0] > threadsBefore + THREAD_SLACK) {
            problems.add("threads: " + threadsBefore + " before, " + threads[0] + " after");
        }
        long[] fds = {0};
        waitUntil(10_000, () -> (fds[0] = openFiles()) <= fdsBefore + FD_SLACK);
        if (fds[0] > fdsBefore + FD_SLACK) {
            problems.add("open files: " + fdsBefore + " before, " + fds[0] + " after");
        }
        // 4. host files unchanged
        Map<Path, String> now = hashCanaries();
        if (!now.equals(canaries)) {
            problems.add("host canary files changed: " + canaries + " -> " + now);
        }
        // 5. the audit log parses, one JSON object per line, and has the events
        List<String> lines = auditLines();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            try {
                JsonNode n = RawHttp.JSON.readTree(l);
                if (!n.isObject() || !n.hasNonNull("timestamp") || !n.hasNonNull("event")) {
                    problems.add("audit line " + (i + 1) + " lacks timestamp/event: " + abbreviate(l));
                }
            } catch (IOException e) {
                problems.add("audit line " + (i + 1) + " is not JSON: " + abbreviate(l));
            }
        }
        // A case that started its own server writes another audit file: all of it is new.
        long from = server().auditFile.equals(auditFileBefore) ? auditLinesBefore : 0;
        List<String> fresh = lines.subList((int) Math.min(from, lines.size()), lines.size());
        for (String[] ev : expectedEvents) {
            boolean found = fresh.stream().anyMatch(l -> l.contains("\"event\":\"" + ev[0] + "\"")
                    && (ev[1] == null || l.contains("\"sandbox\":" + q(ev[1]))));
            if (!found) {
                problems.add("audit event " + ev[0] + (ev[1] == null ? "" : " of " + ev[1]) + " missing");
            }
        }
        if (!problems.isEmpty()) {
            fail("universal checks failed:\n  " + String.join("\n  ", problems));
        }
    }

    private List<String> leaks(RawHttp.Response r) {
        List<String> out = new ArrayList<>();
        String body = r.text();
        String key = server().apiKey;
        if (body.contains(key)) {
            out.add("the API key is echoed in a body");
        }
        r.headers().forEach((k, v) -> {
            if (v.stream().anyMatch(x -> x.contains(key))) {
                out.add("the API key is echoed in header " + k);
            }
        });
        if (r.status() >= 400) {
            for (String marker : List.of("Exception", "\tat ", "at java.", "at io.vertx", "dev.agentkernel.",
                    "java.lang", "io.netty", "com.github.dockerjava")) {
                if (body.contains(marker)) {
                    out.add("error body reveals internals (" + marker.trim() + "): " + abbreviate(body));
                }
            }
            for (String hostPath : List.of(server().dir.toString(), server().auditFile.toString(),
                    System.getProperty("user.dir"), System.getProperty("java.home"), "/var/lib/docker",
                    "/var/run/docker.sock", CANARY_DIR.toString())) {
                if (hostPath != null && hostPath.length() > 1 && body.contains(hostPath)) {
                    out.add("error body reveals host path " + hostPath);
                }
            }
        }
        return out;
    }

    private static List<String> envelope(RawHttp.Response r) {
        List<String> out = new ArrayList<>();
        JsonNode n;
        try {
            n = RawHttp.JSON.readTree(r.body());
        } catch (IOException e) {
            return List.of(r.status() + " body is not JSON: " + abbreviate(r.text()));
        }
        if (n == null || !n.isObject() || !n.path("success").isBoolean() || n.path("success").booleanValue()
                || !n.path("error").isTextual() || n.path("error").textValue().isBlank()
                || !n.path("code").isTextual()) {
            out.add(r.status() + " without the error envelope: " + abbreviate(r.text()));
        }
        return out;
    }

    static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private List<String> auditLines() throws IOException {
        Path f = server().auditFile;
        if (!Files.exists(f)) {
            return List.of();
        }
        // A torn last line (no newline) is allowed after a crash; whole lines must parse.
        String all = Files.readString(f, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(all.lines().filter(l -> !l.isBlank()).toList());
        if (!all.isEmpty() && !all.endsWith("\n") && !lines.isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    static long openFiles() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    private static Path createCanaries() {
        try {
            Path d = Files.createTempDirectory("ak-canary-");
            Files.writeString(d.resolve("secret.txt"), "host canary " + System.nanoTime());
            Files.writeString(d.resolve("config.json"), "{\"canary\":true}");
            return d;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path canaryDir() {
        return CANARY_DIR;
    }

    private static Map<Path, String> hashCanaries() throws IOException {
        Map<Path, String> out = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        try (var s = Files.list(CANARY_DIR)) {
            s.sorted().forEach(files::add);
        }
        files.add(Path.of("/etc/passwd"));
        files.add(Path.of("/etc/hosts"));
        for (Path p : files) {
            if (Files.isReadable(p)) {
                out.put(p, sha256(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
