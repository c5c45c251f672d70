package dev.agentkernel.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.LogQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static AuditEvent event(String name, String sandbox, Map<String, Object> details) {
        return new AuditEvent(Instant.now(), name, sandbox, details);
    }

    private List<String> lines(Path file) throws Exception {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    @Test
    void newlinesAndQuotesInNamesAndArgvStayOneParseableLine() throws Exception {
        Path file = dir.resolve("a/b/audit.jsonl");
        List<String> argv = List.of("sh", "-c", "echo \"hi\"\nrm -rf '/'\r\n\u2028end\\", "\u0000x");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(event("command_executed", "box\n\"quoted\"", Map.of("argv", argv, "exit_code", 0)));
            log.record(event("sandbox_removed", "box", Map.of()));
        }
        List<String> lines = lines(file);
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(first.get("sandbox").asText()).isEqualTo("box\n\"quoted\"");
        assertThat(JSON.convertValue(first.get("argv"), List.class)).isEqualTo(argv);
        assertThat(first.get("exit_code").asInt()).isZero();
        assertThat(first.get("prev").asText()).isEqualTo("0".repeat(64));
        assertThat(first.get("timestamp").asText()).endsWith("Z");
        List<String> fieldOrder = new ArrayList<>();
        first.fieldNames().forEachRemaining(fieldOrder::add);
        assertThat(fieldOrder).startsWith("timestamp", "event", "sandbox");

        try (AuditLog log = AuditLog.open(file)) {
            assertThat(log.query("box\n\"quoted\"", LogQuery.ALL)).singleElement()
                    .satisfies(e -> assertThat(e.details().get("argv")).isEqualTo(argv));
            assertThat(log.verify().ok()).isTrue();
        }
    }

    @Test
    void eventsWithoutSandboxAreWrittenWithNull() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(event("auth_failed", null, Map.of("caller", "127.0.0.1", "reason", "bad key",
                    "at", Instant.parse("2026-01-01T00:00:00Z"), "timeout", java.time.Duration.ofSeconds(2))));
        }
        JsonNode n = JSON.readTree(lines(file).get(0));
        assertThat(n.get("sandbox").isNull()).isTrue();
        assertThat(n.get("caller").asText()).isEqualTo("127.0.0.1");
        assertThat(n.get("at").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(n.get("timeout").asText()).isEqualTo("PT2S");
    }

    @Test
    void verifyFindsAnEditedMiddleLine() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 0; i < 5; i++) {
                log.record(event("command_executed", "s", Map.of("exit_code", i)));
            }
            assertThat(log.verify()).satisfies(v -> {
                assertThat(v.ok()).isTrue();
                assertThat(v.lines()).isEqualTo(5);
            });
        }
        List<String> lines = lines(file);
        lines.set(2, lines.get(2).replace("\"exit_code\":2", "\"exit_code\":0"));
        Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        try (AuditLog log = AuditLog.open(file)) {
            AuditLog.Verification v = log.verify();
            assertThat(v.ok()).isFalse();
            assertThat(v.firstBadLine()).isEqualTo(4); // line 4 no longer chains to the edited line 3
            assertThat(v.reason()).contains("line 4");
        }
    }

    @Test
    void verifyFindsARemovedLine() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 0; i < 4; i++) {
                log.record(event("e", "s", Map.of("i", i)));
            }
        }
        List<String> lines = new ArrayList<>(lines(file));
        lines.remove(1);
        Files.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        try (AuditLog log = AuditLog.open(file)) {
            assertThat(log.verify().firstBadLine()).isEqualTo(2);
        }
    }

    @Test
    void tornLastLineIsSkippedAndTheFileStaysAppendable() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(event("sandbox_created", "t", Map.of()));
            log.record(event("command_executed", "t", Map.of("exit_code", 0)));
        }
        // a crash in the middle of a write
        Files.write(file, "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"event\":\"comm".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.APPEND);
        try (AuditLog log = AuditLog.open(file)) {
            assertThat(log.query("t", LogQuery.ALL)).hasSize(2);
            log.record(event("sandbox_removed", "t", Map.of()));
            assertThat(log.query("t", LogQuery.ALL)).extracting(AuditEvent::event)
                    .containsExactly("sandbox_created", "command_executed", "sandbox_removed");
            AuditLog.Verification v = log.verify();
            assertThat(v.ok()).isTrue();
            assertThat(v.skipped()).isEqualTo(1);
            assertThat(v.lines()).isEqualTo(4);
        }
        List<String> lines = lines(file);
        assertThat(lines).hasSize(4);
        assertThat(JSON.readTree(lines.get(3)).get("event").asText()).isEqualTo("sandbox_removed");
    }

    @Test
    void anInterruptedCallerDoesNotBreakTheLog() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            Thread.currentThread().interrupt();
            log.record(event("e1", "s", Map.of()));
            assertThat(Thread.interrupted()).isTrue(); // the flag is kept for the caller
            log.record(event("e2", "s", Map.of()));
            assertThat(log.query("s", LogQuery.ALL)).hasSize(2);
            assertThat(log.verify().ok()).isTrue();
        }
    }

    @Test
    void recordAfterCloseIsRefused() {
        AuditLog log = AuditLog.open(dir.resolve("audit.jsonl"));
        log.close();
        assertThatThrownBy(() -> log.record(event("e", "s", Map.of())))
                .hasMessageContaining("audit log is unwritable");
    }

    @Test
    void aRotatedOrDeletedFileIsStartedAfresh() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(event("e1", "s", Map.of()));
            Files.move(file, dir.resolve("audit.jsonl.1"));
            log.record(event("e2", "s", Map.of()));
            Files.delete(file);
            log.record(event("e3", "s", Map.of()));
            assertThat(log.query("s", LogQuery.ALL)).extracting(AuditEvent::event).containsExactly("e3");
            assertThat(log.verify().ok()).isTrue();
        }
        assertThat(lines(dir.resolve("audit.jsonl.1"))).hasSize(1);
    }

    @Test
    void concurrentWritersNeverInterleaveAndTheChainHolds() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        int threads = 8;
        int each = 40;
        // two log objects on one file, as a CLI and a server would have
        try (AuditLog a = AuditLog.open(file); AuditLog b = AuditLog.open(file)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                AuditLog log = t % 2 == 0 ? a : b;
                String sandbox = "s" + t;
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        log.record(event("command_executed", sandbox, Map.of("argv", List.of("x".repeat(500)), "i", i)));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            assertThat(a.verify().ok()).isTrue();
            assertThat(a.query("s3", LogQuery.ALL)).hasSize(each);
        }
        List<String> lines = lines(file);
        assertThat(lines).hasSize(threads * each);
        for (String line : lines) {
            assertThat(JSON.readTree(line).get("event").asText()).isEqualTo("command_executed");
        }
    }

    /** Prints the cost of one forced append (no timed assertion). */
    @Test
    void appendFigures() {
        int n = 200;
        long[] nanos = new long[n];
        try (AuditLog log = AuditLog.open(dir.resolve("audit.jsonl"))) {
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                log.record(event("command_executed", "s", Map.of("argv", List.of("echo", "x"), "exit_code", 0)));
                nanos[i] = System.nanoTime() - t;
            }
            assertThat(log.verify().lines()).isEqualTo(n);
        }
        java.util.Arrays.sort(nanos);
        System.out.printf("FIGURES audit append (write + force) p50 %.2f ms p99 %.2f ms over %d events%n",
                nanos[n / 2] / 1e6, nanos[(int) (n * 0.99) - 1] / 1e6, n);
    }

    @Test
    void queryIsExactSortedWithSinceAndLimit() {
        Path file = dir.resolve("audit.jsonl");
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(new AuditEvent(t0.plusSeconds(2), "e2", "a", Map.of()));
            log.record(new AuditEvent(t0, "e0", "a", Map.of()));
            log.record(new AuditEvent(t0.plusSeconds(1), "x", "ab", Map.of()));
            log.record(new AuditEvent(t0.plusSeconds(3), "e3", "a", Map.of()));
            log.record(new AuditEvent(t0.plusSeconds(1), "e1", "a", Map.of()));
            assertThat(log.query("a", LogQuery.ALL)).extracting(AuditEvent::event)
                    .containsExactly("e0", "e1", "e2", "e3");
            assertThat(log.query("a", new LogQuery(t0.plusSeconds(1), 0))).extracting(AuditEvent::event)
                    .containsExactly("e1", "e2", "e3");
            assertThat(log.query("a", new LogQuery(null, 2))).extracting(AuditEvent::event)
                    .containsExactly("e2", "e3");
            assertThat(log.query("missing", LogQuery.ALL)).isEmpty();
        }
    }

    @Test
    void anUnwritableLocationFailsClosed() throws Exception {
        Path notADir = dir.resolve("file");
        Files.writeString(notADir, "x");
        assertThatThrownBy(() -> AuditLog.open(notADir.resolve("audit.jsonl")))
                .isInstanceOf(AgentKernelException.class)
                .hasMessage("The audit log is unwritable; the operation was refused")
                .extracting(e -> ((AgentKernelException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
    }

    @Test
    void disabledLogRecordsNothing() {
        AuditLog log = AuditLog.disabled();
        log.record(event("e", "s", Map.of()));
        assertThat(log.enabled()).isFalse();
        assertThat(log.query("s", LogQuery.ALL)).isEmpty();
        assertThat(log.verify().ok()).isTrue();
    }
}
