package dev.agentkernel.core.internal;

import dev.agentkernel.core.KernelMetrics;

import java.util.Objects;

/**
 * The kernel's one {@link KernelMetrics}, handed to its parts when it is built, forwarding to whatever recorder is
 * attached later (the server attaches its registry once it starts; until then nothing is recorded).
 */
public final class MetricsRelay implements KernelMetrics {
    private volatile KernelMetrics target = KernelMetrics.NONE;

    public void attach(KernelMetrics recorder) {
        this.target = Objects.requireNonNull(recorder, "recorder");
    }

    @Override
    public void engineCall(String operation, long nanos, boolean ok) {
        target.engineCall(operation, nanos, ok);
    }

    @Override
    public void admissionWait(String operation, long nanos, boolean admitted) {
        target.admissionWait(operation, nanos, admitted);
    }

    @Override
    public void poolClaim(long nanos, boolean hit) {
        target.poolClaim(nanos, hit);
    }

    @Override
    public void auditAppend(long nanos) {
        target.auditAppend(nanos);
    }
}
