package dev.agentkernel.core.internal;

import dev.agentkernel.core.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Keeps this instance's lease: renewed when the kernel starts and then three times per lease time, so two missed
 * renewals still leave it live. At close the lease is removed, or only expired when sandboxes of ours are left (so
 * that other instances reap them at once). Kernels of one process share the holder id: the lease ends with the
 * last of them.
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    /** Open keepers per holder in this JVM. */
    private static final Map<String, Integer> OPEN = new ConcurrentHashMap<>();

    private final LeaseStore store;
    private final String holder;
    private final Duration ttl;
    private ScheduledExecutorService schedule; // guarded by this
    private boolean started; // guarded by this
    private boolean closed; // guarded by this

    public LeaseKeeper(LeaseStore store, String holder, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the lease time must be positive");
        }
        this.store = store;
        this.holder = holder;
        this.ttl = ttl;
    }

    /** Takes the lease now and keeps renewing it. A failed renewal is logged and tried again at the next tick. */
    public synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        OPEN.merge(holder, 1, Integer::sum);
        renew();
        schedule = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("agentkernel-lease"));
        long every = Math.max(1, ttl.toMillis() / 3);
        schedule.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        try {
            store.renew(holder, ttl);
        } catch (RuntimeException e) {
            LOG.warn("Could not renew the lease of {} (other instances reap our sandboxes once it expires): {}",
                    holder, e.getMessage());
        }
    }

    /**
     * Stops renewing; the last keeper of this holder in the process removes the lease, or expires it when
     * {@code leftovers} says sandboxes of ours remain.
     */
    public void close(BooleanSupplier leftovers) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (!started) {
                return;
            }
            schedule.shutdownNow();
        }
        if (OPEN.merge(holder, -1, (a, b) -> a + b <= 0 ? null : a + b) != null) {
            return; // another kernel of this process still holds it
        }
        try {
            if (leftovers.getAsBoolean()) {
                store.expire(holder);
            } else {
                store.delete(holder);
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not end the lease of {} (it expires by itself): {}", holder, e.getMessage());
        }
    }

    @Override
    public void close() {
        close(() -> true);
    }
}
