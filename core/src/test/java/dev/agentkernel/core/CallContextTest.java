package dev.agentkernel.core;

import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CallContextTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void traceparentFollowsTheW3cRules() {
        assertThat(CallContext.traceparent(TP)).isEqualTo(TP);
        assertThat(CallContext.traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later-fields"))
                .isEqualTo("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        for (String bad : new String[]{null, "", "garbage", TP + "-x", TP.toUpperCase(), TP.replace("-01", "-1"),
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n"}) {
            assertThat(CallContext.traceparent(bad)).as(String.valueOf(bad)).isNull();
        }
    }

    @Test
    void requestIdsAreBoundedAndPlain() {
        assertThat(CallContext.saneRequestId("b3c1a7e2-5d0f-4c8e-9a61-2f4d8e7b9c10")).isTrue();
        assertThat(CallContext.saneRequestId("Root=1-67891233-abcdef012345678912345678")).isTrue();
        assertThat(CallContext.saneRequestId("x".repeat(128))).isTrue();
        for (String bad : new String[]{null, "", "x".repeat(129), "a b", "a\nb", "a\"b", "a,b", "é"}) {
            assertThat(CallContext.saneRequestId(bad)).as(String.valueOf(bad)).isFalse();
        }
        assertThatThrownBy(() -> new CallContext("a b", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CallContext("ok", "00-bad")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void enterRestoresAndCarriedTasksSeeTheCaller() throws Exception {
        CallContext outer = new CallContext("outer", null);
        CallContext inner = new CallContext("inner", TP);
        Callable<CallContext> seen;
        try (CallContext.Scope a = outer.enter()) {
            try (CallContext.Scope b = inner.enter()) {
                assertThat(CallContext.current()).isEqualTo(inner);
                seen = CallContext.carried(CallContext::current);
            }
            assertThat(CallContext.current()).isEqualTo(outer);
        }
        assertThat(CallContext.current()).isNull();
        CallContext[] onOtherThread = new CallContext[1];
        Thread t = new Thread(() -> {
            try {
                onOtherThread[0] = seen.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        assertThat(onOtherThread[0]).isEqualTo(inner);
    }
}
