package dev.agentkernel.docker.agent;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's stderr reaches the log escaped, tagged and rate-limited, whatever the sandbox writes. */
class AgentDiagnosticsTest {
    private long now;
    private final List<String> lines = new ArrayList<>();
    private final AgentDiagnostics d = new AgentDiagnostics("box-1", () -> now, lines::add);

    private void write(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.accept(b, 0, b.length);
    }

    @Test
    void controlCharactersAreEscapedAndLinesTagged() {
        write("plain\n\u001b[2J\rfake line\u0000end\n");
        assertThat(lines).containsExactly("agent of sandbox 'box-1': plain",
                "agent of sandbox 'box-1': \\x1b[2J\\x0dfake line\\x00end");
    }

    @Test
    void aFloodIsCutToTheBucketAndSummarised() {
        byte[] flood = new byte[20_000_000];
        java.util.Arrays.fill(flood, (byte) 'A');
        for (int off = 0; off < flood.length; off += 65536) {
            d.accept(flood, off, Math.min(65536, flood.length - off));
        }
        long logged = lines.stream().mapToLong(String::length).sum();
        // one burst (plus the tags) gets through at once, never the 20 MB
        assertThat(logged).isLessThan(AgentDiagnostics.BURST + 2_000);
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(AgentDiagnostics.MAX_LINE + 40));
        // a second later the bucket has room again: the next line says what was dropped
        int before = lines.size();
        now += 1_000_000_000L;
        write("\nafter\n");
        assertThat(lines.subList(before, lines.size())).anyMatch(l -> l.contains("bytes of agent stderr dropped"));
        assertThat(lines.get(lines.size() - 1)).endsWith(": after");
    }

    @Test
    void whatWasDroppedIsReportedWhenTheStreamEnds() {
        for (int i = 0; i < 1000; i++) {
            write("line " + i + "\n");
        }
        d.finish();
        assertThat(lines.get(lines.size() - 1)).contains("lines,").contains("dropped");
    }
}
