package dev.agentkernel.core;

import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** TTLs: set at creation (or by default), extended, kept in a file across kernels, and expired sandboxes reaped. */
class ExpiryTest {
    @TempDir
    Path dir;

    private AgentKernel kernel(FakeBackend backend, AgentKernelConfig config) {
        return AgentKernel.builder().backend(backend).config(config)
                .auditLog(dev.agentkernel.core.audit.AuditLog.open(dir.resolve("audit.jsonl")))
                .expiryFile(dir.resolve("expiries.json")).expiryInterval(Duration.ZERO).build();
    }

    @Test
    void anExpiredSandboxIsRemovedAndAudited() throws Exception {
        FakeBackend backend = new FakeBackend();
        try (AgentKernel k = kernel(backend, AgentKernelConfig.defaults())) {
            SandboxInfo short1 = k.create(SandboxSpec.named("short").withTtl(Duration.ofSeconds(2)));
            k.create(SandboxSpec.named("long").withTtl(Duration.ofHours(1)));
            k.create(SandboxSpec.named("forever"));
            assertThat(short1.expiresAt()).isBetween(Instant.now(), Instant.now().plusSeconds(2));
            assertThat(k.get("forever").expiresAt()).isNull();
            assertThat(k.reapExpired()).as("nothing due yet").isZero();
            Thread.sleep(2100);
            assertThat(k.reapExpired()).isEqualTo(1);
            assertThat(backend.names()).contains("long", "forever").doesNotContain("short");
            List<AuditEvent> events = k.logs("short", LogQuery.ALL);
            AuditEvent removed = events.get(events.size() - 1);
            assertThat(removed.event()).isEqualTo("sandbox_removed");
            assertThat(removed.details()).containsEntry("reason", "expired");
        }
    }

    @Test
    void extendingMovesTheExpiryAndItSurvivesANewKernel() {
        FakeBackend backend = new FakeBackend();
        Instant extended;
        try (AgentKernel k = kernel(backend, AgentKernelConfig.defaults())) {
            k.create(SandboxSpec.named("dev"));
            Instant first = k.extend("dev", Duration.ofMinutes(30));
            extended = k.extend("dev", Duration.ofMinutes(30));
            assertThat(Duration.between(first, extended)).isEqualTo(Duration.ofMinutes(30));
            assertThat(k.logs("dev", LogQuery.ALL)).extracting(AuditEvent::event).contains("sandbox_extended");
        }
        try (AgentKernel again = kernel(backend, AgentKernelConfig.defaults())) {
            assertThat(again.get("dev").expiresAt()).isEqualTo(extended);
        }
    }

    @Test
    void aDefaultTtlThatWouldExpireEverySandboxAtOnceIsRefused() {
        AgentKernelConfig.Sandbox d = AgentKernelConfig.defaults().sandbox();
        for (Duration bad : List.of(Duration.ZERO, Duration.ofSeconds(-5), Duration.ofDays(400))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AgentKernelConfig.Sandbox(d.image(), d.profile(),
                    d.backend(), d.pullRegistries(), bad, true)).as(bad.toString()).hasMessageContaining("sandbox.ttl");
        }
    }

    @Test
    void theConfiguredDefaultTtlApplies() {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig config = d.withSandbox(new AgentKernelConfig.Sandbox(d.sandbox().image(), d.sandbox().profile(),
                d.sandbox().backend(), d.sandbox().pullRegistries(), Duration.ofHours(2), true));
        try (AgentKernel k = kernel(new FakeBackend(), config)) {
            assertThat(k.create(SandboxSpec.named("dflt")).expiresAt())
                    .isBetween(Instant.now().plusSeconds(7190), Instant.now().plusSeconds(7210));
        }
    }
}
