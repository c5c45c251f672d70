package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class MeasuredBackendTest {
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final KernelMetrics recorder = new KernelMetrics() {
        @Override
        public void engineCall(String operation, long nanos, boolean ok) {
            assertThat(nanos).isNotNegative();
            calls.add(operation + ":" + (ok ? "ok" : "error"));
        }
    };

    @Test
    void everyBackendMethodIsDelegatedNotInherited() throws NoSuchMethodException {
        // A default method of Backend left to the interface would answer for the engine: each must be declared here.
        for (Method m : Backend.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Method own = MeasuredBackend.class.getMethod(m.getName(), m.getParameterTypes());
            boolean convenienceOverload = m.isDefault() && m.getName().equals("exec") && m.getParameterCount() == 2;
            if (!convenienceOverload) {
                assertThat(own.getDeclaringClass()).as(m.toString()).isEqualTo(MeasuredBackend.class);
            }
        }
    }

    @Test
    void callsAreReportedByOperationAndOutcome() {
        MeasuredBackend b = new MeasuredBackend(new FakeBackend(), recorder);
        b.create(SandboxSpec.named("m", "agentkernel/busybox:local"));
        b.exec("m", ExecRequest.of("echo", "hi"));
        b.remove("m");
        assertThat(catchThrowable(() -> b.remove("m"))).isInstanceOf(AgentKernelException.NotFoundException.class);
        b.inspect("m");
        assertThat(calls).containsExactly("create:ok", "exec:ok", "remove:ok", "remove:error", "inspect:ok");
    }
}
