package dev.agentkernel.core.internal;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.audit.AuditingBackend;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The expiry pass on a clock the test moves. */
class ExpiriesTest {
    @TempDir
    Path dir;

    /** An extend that lands while the pass lists the sandboxes keeps the sandbox (and its new expiry). */
    @Test
    void aSandboxExtendedDuringThePassIsKept() {
        FakeBackend fake = new FakeBackend();
        AuditingBackend backend = new AuditingBackend(fake, AuditLog.open(dir.resolve("audit.jsonl")));
        SandboxInfo box = fake.create(SandboxSpec.named("box").withImage("img"));
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Expiries expiries = new Expiries(null, now::get);
        expiries.set(box.uuid(), Duration.ofSeconds(10));
        now.set(now.get().plusSeconds(11));

        int removed = expiries.reap(() -> {
            List<SandboxInfo> listed = fake.list();
            expiries.extend(box.uuid(), Duration.ofHours(1)); // the caller's extend, racing the pass
            return listed;
        }, backend);

        assertThat(removed).isZero();
        assertThat(fake.names()).contains("box");
        assertThat(expiries.of(box.uuid())).isEqualTo(now.get().plus(Duration.ofHours(1)));
    }

    @Test
    void anExpiredSandboxIsRemovedAndItsEntryForgotten() {
        FakeBackend fake = new FakeBackend();
        AuditingBackend backend = new AuditingBackend(fake, AuditLog.open(dir.resolve("audit.jsonl")));
        SandboxInfo box = fake.create(SandboxSpec.named("box").withImage("img"));
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Expiries expiries = new Expiries(null, now::get);
        expiries.set(box.uuid(), Duration.ofSeconds(10));
        now.set(now.get().plusSeconds(10));

        assertThat(expiries.reap(fake::list, backend)).isEqualTo(1);
        assertThat(fake.names()).doesNotContain("box");
        assertThat(expiries.of(box.uuid())).isNull();
    }
}
