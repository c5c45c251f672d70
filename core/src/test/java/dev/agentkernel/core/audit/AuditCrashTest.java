package dev.agentkernel.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Group commit keeps the promise of one-by-one forced appends: a process killed (SIGKILL) at any moment, with
 * eight threads appending, has every event it acknowledged in the file, and the file still verifies and appends.
 */
class AuditCrashTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aKillAfterTheAnswerNeverLosesAnAcknowledgedEvent() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        for (int round = 0; round < 3; round++) {
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), AuditCrashChild.class.getName(), file.toString())
                    .redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Set<Integer> acknowledged = new HashSet<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(r.readLine()).isEqualTo("started");
                int killAfter = 200 + ThreadLocalRandom.current().nextInt(600);
                String line;
                while ((line = r.readLine()) != null) {
                    acknowledged.add(Integer.parseInt(line));
                    if (acknowledged.size() == killAfter) {
                        // SIGKILL: no shutdown hook, no close, mid-batch; the pipe keeps what was printed
                        child.toHandle().destroyForcibly();
                    }
                }
            }
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Set<Integer> inFile = new HashSet<>();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                try {
                    JsonNode n = JSON.readTree(lines.get(i));
                    if (n.has("id")) {
                        inFile.add(n.get("id").asInt());
                    }
                } catch (java.io.IOException torn) {
                    assertThat(i).as("only the last line may be torn").isEqualTo(lines.size() - 1);
                }
            }
            assertThat(acknowledged).as("round %d", round).isNotEmpty();
            assertThat(inFile).as("round %d: every acknowledged event is in the file", round).containsAll(acknowledged);
            try (AuditLog log = AuditLog.open(file)) {
                assertThat(log.verify().ok()).isTrue();
            }
        }
    }
}
