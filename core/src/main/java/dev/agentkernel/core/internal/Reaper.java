package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.core.audit.AuditingBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Reconcile: removes the {@code run} and {@code pool} sandboxes whose owner instance is gone ({@link OwnerLiveness}:
 * its lease expired, or this host saw its process die); named sandboxes are adopted as they are. The lease
 * records of dead owners with nothing left to reap are removed too. Runs once when the kernel starts and then every interval, with extra periodic work (pool
 * pruning) on the same thread. Every removal is audited with {@code reason=reconcile}. Thread-safe.
 */
public final class Reaper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    private final AuditingBackend backend;
    private final OwnerLiveness owners;
    private final Predicate<SandboxInfo> filter;
    private final Runnable alsoPeriodically;
    private ScheduledExecutorService schedule; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param owners           who is alive; a sandbox is reaped only when its owner is not
     * @param filter          limits reconcile to matching sandboxes (tests sharing an engine); production: all
     * @param alsoPeriodically more work for each periodic pass (never at start)
     */
    public Reaper(AuditingBackend backend, OwnerLiveness owners, Predicate<SandboxInfo> filter,
                  Runnable alsoPeriodically) {
        this.backend = backend;
        this.owners = owners;
        this.filter = filter;
        this.alsoPeriodically = alsoPeriodically;
    }

    /** One pass: the sandboxes of dead owners removed. Never throws (an unreachable engine skips the pass). */
    public int reconcile() {
        List<SandboxInfo> all;
        OwnerLiveness.Pass pass;
        try {
            all = backend.list();
            pass = owners.pass();
        } catch (RuntimeException e) {
            LOG.warn("Reconcile skipped: cannot list sandboxes or leases: {}", e.getMessage());
            return 0;
        }
        int removed = 0;
        List<SandboxInfo> remaining = new ArrayList<>();
        for (SandboxInfo s : all) {
            if (s.kind() == SandboxKind.NAMED || !filter.test(s) || pass.mayBeAlive(s.owner())) {
                remaining.add(s); // named sandboxes are adopted; live owners keep theirs
            } else if (reap(s)) {
                removed++;
            } else {
                remaining.add(s);
            }
        }
        pass.forgetExpired(remaining);
        if (removed > 0) {
            LOG.info("Reconcile removed {} sandboxes of dead instances", removed);
        }
        return removed;
    }

    private boolean reap(SandboxInfo s) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", "reconcile");
        details.put("kind", s.kind().wireName());
        if (s.owner() != null) {
            details.put("owner", s.owner());
        }
        try {
            backend.remove(s.name(), details);
            return true;
        } catch (AgentKernelException.NotFoundException e) {
            return false; // another instance reaped it first
        } catch (RuntimeException e) {
            LOG.warn("Reconcile could not remove {}: {}", s.name(), e.getMessage());
            return false;
        }
    }

    /** Runs {@link #reconcile} and the extra work every {@code interval}; {@link Duration#ZERO} schedules nothing. */
    public synchronized void schedule(Duration interval) {
        if (interval.isZero() || closed || schedule != null) {
            return;
        }
        schedule = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("agentkernel-reconcile"));
        long ms = Math.max(1, interval.toMillis());
        schedule.scheduleWithFixedDelay(this::periodicPass, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** One periodic pass; never throws (an exception would cancel the schedule). */
    private void periodicPass() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        try {
            reconcile();
            alsoPeriodically.run();
        } catch (RuntimeException e) {
            LOG.warn("Periodic reconcile failed: {}", e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (schedule != null) {
            schedule.shutdownNow();
        }
    }
}
