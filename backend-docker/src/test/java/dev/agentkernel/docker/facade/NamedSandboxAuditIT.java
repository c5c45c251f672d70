package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.agentkernel.docker.facade.FacadeSupport.BUSYBOX;
import static dev.agentkernel.docker.facade.FacadeSupport.events;
import static dev.agentkernel.docker.facade.FacadeSupport.ownedBy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every facade operation on the real engine, and exactly the audit lines each leaves. */
class NamedSandboxAuditIT {
    @TempDir
    Path dir;

    @Test
    void everyOperationLeavesItsAuditLines() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        String name = "facade-it-" + FacadeSupport.suffix();
        try (Backend counter = FacadeSupport.backend()) {
            int before = ownedBy(counter, InstanceId.current()).size();
            try (AgentKernel kernel = FacadeSupport.kernel(FacadeSupport.config(audit, 0, 4))) {
                try {
                    assertThat(kernel.create(SandboxSpec.named(name, null)).status()).isEqualTo(SandboxStatus.RUNNING);
                    assertThat(kernel.get(name).image()).isEqualTo(BUSYBOX);
                    assertThat(kernel.exec(name, ExecRequest.of("sh", "-c", "echo \"quoted\nline\"; exit 4"))
                            .exitCode()).isEqualTo(4);
                    assertThat(kernel.writeFile(name, "/tmp/d/hello.txt", "hello world".getBytes(StandardCharsets.UTF_8))
                            .size()).isEqualTo(11);
                    assertThat(kernel.readFile(name, "/tmp/d/hello.txt").utf8()).contains("hello world");
                    assertThat(kernel.deleteFile(name, "/tmp/d/hello.txt")).isEqualTo("/tmp/d/hello.txt");
                    assertThat(kernel.stop(name).status()).isEqualTo(SandboxStatus.STOPPED);
                    assertThatThrownBy(() -> kernel.exec(name, ExecRequest.of("true")))
                            .isInstanceOf(AgentKernelException.ConflictException.class);
                    assertThat(kernel.start(name).status()).isEqualTo(SandboxStatus.RUNNING);
                    ExecResult timedOut = kernel.exec(name, ExecRequest.of("sleep", "30").withTimeout(Duration.ofMillis(300)));
                    assertThat(timedOut.timedOut()).isTrue();
                } finally {
                    kernel.remove(name);
                }
                RunResult run = kernel.run(RunRequest.of("echo", "2").withImage(BUSYBOX));
                assertThat(run.exec().output()).isEqualTo("2\n");
                kernel.auditRefusal("auth_failed", null, Map.of("caller", "127.0.0.1:40000", "reason", "wrong API key"));

                List<AuditEvent> log = kernel.logs(name, LogQuery.ALL);
                assertThat(log).extracting(AuditEvent::event).containsExactly(
                        "sandbox_created",
                        "command_started", "command_executed",
                        "file_written", "file_read", "file_deleted",
                        "sandbox_stopped",
                        "command_started", "operation_failed",
                        "sandbox_started",
                        "command_started", "command_executed",
                        "sandbox_removed");
                assertThat(log.get(2).details()).containsEntry("exit_code", 4)
                        .containsEntry("argv", List.of("sh", "-c", "echo \"quoted\nline\"; exit 4"));
                assertThat(log.get(3).details()).containsEntry("path", "/tmp/d/hello.txt").containsEntry("size", 11);
                assertThat(log.get(11).details()).containsEntry("timed_out", true);
                assertThat(events(kernel, run.sandbox())).containsExactly("sandbox_created", "command_started",
                        "command_executed", "sandbox_removed");
                assertThat(kernel.auditVerify().ok()).isTrue();
                assertThat(kernel.auditVerify().lines()).isEqualTo(log.size() + 4 + 1);
                assertThat(Files.readString(audit)).doesNotContain("hello world");
            }
            assertThat(ownedBy(counter, InstanceId.current())).hasSize(before);
        }
    }
}
