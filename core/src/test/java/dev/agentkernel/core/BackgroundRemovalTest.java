package dev.agentkernel.core;

import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code removeTemporariesInBackground}: run answers first, the sandbox still goes away, close waits for it. */
class BackgroundRemovalTest {
    @TempDir
    Path dir;

    @Test
    void temporarySandboxIsRemovedAfterRunReturns() throws Exception {
        FakeBackend fake = new FakeBackend();
        try (AgentKernel kernel = AgentKernel.builder().backend(fake).config(AgentKernelConfig.forTests(dir.resolve("a.jsonl")))
                .admissionWait(Duration.ofMillis(200)).removeTemporariesInBackground(true).build()) {
            RunResult r = kernel.run(RunRequest.of("echo", "2"));
            assertThat(r.exec().output()).isEqualTo("2\n");
            AgentKernelTest.waitUntil(() -> fake.names().isEmpty());
            AgentKernelTest.waitUntil(() -> kernel.logs(r.sandbox(), LogQuery.ALL).stream()
                    .anyMatch(e -> e.event().equals("sandbox_removed")));
        }
    }

    @Test
    void closeRemovesEveryTemporaryEvenIfRemovalIsStillQueued() {
        FakeBackend fake = new FakeBackend();
        AgentKernel kernel = AgentKernel.builder().backend(fake).config(AgentKernelConfig.forTests(dir.resolve("b.jsonl")))
                .admissionWait(Duration.ofMillis(200)).removeTemporariesInBackground(true).build();
        for (int i = 0; i < 20; i++) {
            kernel.run(RunRequest.of("echo", Integer.toString(i)));
        }
        kernel.close();
        assertThat(fake.names()).isEmpty();
    }
}
