package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A named sandbox is inspected once per {@link Visibility#REMEMBER}, not per command; pool members stay hidden. */
class VisibilityTest {
    private final FakeBackend fake = new FakeBackend();
    private final AtomicInteger inspects = new AtomicInteger();
    private final AtomicLong now = new AtomicLong();
    private final Visibility visibility = new Visibility(new MeasuredBackend(fake, new KernelMetrics() {
        @Override
        public void engineCall(String operation, long nanos, boolean ok) {
            if (operation.equals("inspect")) {
                inspects.incrementAndGet();
            }
        }
    }), now::get);

    @Test
    void aNamedSandboxIsRememberedBrieflyAndForgottenWhenRemoved() {
        fake.create(SandboxSpec.named("box", "agentkernel/busybox:local"));
        for (int i = 0; i < 50; i++) {
            visibility.requireNamed("box");
        }
        assertThat(inspects).hasValue(1);
        now.addAndGet(Visibility.REMEMBER.toNanos());
        visibility.requireNamed("box");
        assertThat(inspects).hasValue(2);

        fake.remove("box");
        visibility.forget("box");
        assertThatThrownBy(() -> visibility.requireNamed("box")).isInstanceOf(AgentKernelException.NotFoundException.class);
    }

    @Test
    void poolAndRunSandboxesAreNeverRememberedAsNamed() {
        fake.create(new SandboxSpec("pool-1", "agentkernel/busybox:local", 1, 512, SecurityProfile.MODERATE, Map.of(),
                Map.of(), SandboxKind.POOL));
        fake.create(new SandboxSpec("run-1", "agentkernel/busybox:local", 1, 512, SecurityProfile.MODERATE, Map.of(),
                Map.of(), SandboxKind.RUN));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> visibility.requireNamed("pool-1")).isInstanceOf(AgentKernelException.NotFoundException.class);
            assertThatThrownBy(() -> visibility.requireNamed("run-1")).isInstanceOf(AgentKernelException.NotFoundException.class);
        }
        assertThat(inspects).hasValue(6);
        assertThatThrownBy(() -> visibility.requireNamed("../x")).isInstanceOf(AgentKernelException.class);
    }
}
