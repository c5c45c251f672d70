package dev.agentkernel.mcp;

import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.RunListener;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressListenerTest {

    @Test
    void reportsStagesAlwaysAndOutputAtMostOncePerInterval() {
        List<String> reports = new ArrayList<>();
        AtomicLong clock = new AtomicLong(1_000);
        ProgressListener l = new ProgressListener(reports::add, 100, clock::get);

        l.onProgress(RunListener.Stage.CREATING);
        l.onStarted("run-1", "img:1", null, false);
        l.onOutput(new OutputChunk(OutputChunk.Stream.STDOUT, new byte[10]));
        l.onOutput(new OutputChunk(OutputChunk.Stream.STDERR, new byte[5])); // same instant: throttled
        clock.addAndGet(100);
        l.onOutput(new OutputChunk(OutputChunk.Stream.STDOUT, new byte[1]));

        assertThat(reports).containsExactly(
                "creating",
                "sandbox run-1 started (image img:1)",
                "running: 10 bytes of stdout, 0 bytes of stderr so far",
                "running: 11 bytes of stdout, 5 bytes of stderr so far");
    }
}
