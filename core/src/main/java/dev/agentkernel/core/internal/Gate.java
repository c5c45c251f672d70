package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.core.audit.AuditingBackend;

import java.time.Duration;
import java.util.Map;

/**
 * Admission of commands: at most {@code max_concurrent_runs} in flight (excess waits in a bounded queue, see
 * {@link Admission}) and at
 * most {@code max_execs_per_sandbox} in one named sandbox (refused at once). Every refusal is audited
 * ({@code request_refused}) before the caller gets it.
 */
public final class Gate {
    private final AuditingBackend audit;
    private final Admission admission;
    private final SandboxExecSlots execSlots;
    private final KernelMetrics metrics;

    public Gate(AuditingBackend audit, int maxConcurrent, int maxQueued, Duration maxWait, int maxPerSandbox,
                KernelMetrics metrics) {
        this.audit = audit;
        this.metrics = metrics;
        this.admission = new Admission(Math.max(1, maxConcurrent), maxQueued, maxWait);
        this.execSlots = new SandboxExecSlots(Math.max(1, maxPerSandbox));
    }

    /** Commands waiting for a slot now (a burst's size beyond the slots, for the pool's demand). */
    public int queued() {
        return admission.queued();
    }

    /** A slot for a run in a new sandbox. */
    public Admission.Permit run() {
        return global("run", null);
    }

    /** A slot of the sandbox and a global one, both given back by closing the permit. */
    public Admission.Permit exec(String sandbox) {
        Admission.Permit mine;
        try {
            mine = execSlots.acquire(sandbox);
        } catch (AgentKernelException.BusyException e) {
            throw refused(e, "exec", sandbox, "sandbox_busy");
        }
        try {
            Admission.Permit global = global("exec", sandbox);
            return () -> {
                global.close();
                mine.close();
            };
        } catch (RuntimeException e) {
            mine.close();
            throw e;
        }
    }

    private Admission.Permit global(String operation, String sandbox) {
        long start = System.nanoTime();
        try {
            Admission.Permit permit = admission.acquire();
            metrics.admissionWait(operation, System.nanoTime() - start, true);
            return permit;
        } catch (AgentKernelException.BusyException e) {
            metrics.admissionWait(operation, System.nanoTime() - start, false);
            throw refused(e, operation, sandbox, "busy");
        }
    }

    /** Audits a {@code BUSY} refusal and returns it to throw. */
    private AgentKernelException.BusyException refused(AgentKernelException.BusyException e, String operation,
                                                       String sandbox, String reason) {
        try {
            audit.record("request_refused", sandbox, Map.of("operation", operation, "reason", reason));
        } catch (RuntimeException auditFailure) {
            e.addSuppressed(auditFailure);
        }
        return e;
    }
}
