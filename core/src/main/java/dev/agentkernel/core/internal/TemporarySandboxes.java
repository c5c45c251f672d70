package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.CallContext;
import dev.agentkernel.core.audit.AuditingBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The sandboxes of runs (temporary or pooled) this kernel made, and their disposal: right after the run, or in
 * the background after the answer. Whatever is left at {@link #close} is removed then; what a crash leaves is the
 * reaper's. Thread-safe.
 */
public final class TemporarySandboxes {
    private static final Logger LOG = LoggerFactory.getLogger(TemporarySandboxes.class);
    /**
     * Background removals in parallel. Fewer than the pool's creations: in a burst the engine serves the creations
     * that answers wait for first; the sandboxes waiting for removal are idle (their commands ended).
     */
    static final int REMOVAL_PARALLELISM = 2;

    private final AuditingBackend backend;
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    /** Removes finished temporaries after the answer; null when disposal is synchronous. */
    private final ThreadPoolExecutor destroyer;
    private final Semaphore pending;

    /**
     * @param background  remove after the answer instead of before it
     * @param maxPending  background removals queued at most; beyond, a run removes its own sandbox
     */
    public TemporarySandboxes(AuditingBackend backend, boolean background, int maxPending) {
        this.backend = backend;
        this.destroyer = background ? DaemonThreads.executor("agentkernel-destroy", REMOVAL_PARALLELISM,
                Duration.ofSeconds(30)) : null;
        this.pending = new Semaphore(Math.max(1, maxPending));
    }

    /** Remembers a sandbox a run is about to use (before it exists: a crash in between leaves nothing unknown). */
    public void add(String name) {
        live.add(name);
    }

    /** Forgets a sandbox that was never made. */
    public void forget(String name) {
        live.remove(name);
    }

    /**
     * Removes a finished run's sandbox: now, or after the answer when disposing in the background. The background
     * is bounded: with {@code maxPending} removals queued, the run removes its own sandbox itself.
     */
    public void dispose(String name) {
        if (destroyer != null && pending.tryAcquire()) {
            try {
                destroyer.execute(CallContext.carried(() -> {
                    try {
                        remove(name);
                    } finally {
                        pending.release();
                    }
                }));
                return;
            } catch (RejectedExecutionException closing) {
                pending.release();
            }
        }
        remove(name);
    }

    /** Waits for background removals (at most {@code wait}), then removes every sandbox still known. */
    public void close(Duration wait) {
        if (destroyer != null) {
            destroyer.shutdown();
            try {
                destroyer.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String name : List.copyOf(live)) {
            remove(name);
        }
    }

    private void remove(String name) {
        try {
            backend.remove(name);
            live.remove(name);
        } catch (AgentKernelException.NotFoundException e) {
            live.remove(name); // never created, or removed by someone else
        } catch (RuntimeException e) {
            LOG.warn("Could not remove temporary sandbox {} (removed at close or by the next reconcile): {}", name,
                    e.getMessage());
        }
    }
}
