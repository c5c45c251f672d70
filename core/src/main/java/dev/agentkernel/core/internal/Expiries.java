package dev.agentkernel.core.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.audit.AuditingBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Sandbox TTLs: when each sandbox (by uuid, which no later sandbox reuses) expires, and the removal of expired
 * ones. Engines keep no mutable field for it (Docker labels are fixed at creation), so the kernel keeps the table
 * itself, in a small JSON file written atomically on every change (beside the audit log by default) so that expiries
 * survive a restart; without a file (tests, an embedder that says so) it lives in memory.
 *
 * <p>A periodic pass removes every expired sandbox through the auditing backend ({@code sandbox_removed} with
 * {@code reason: expired}) and forgets entries whose sandbox is gone. The pass lists sandboxes only when some entry
 * is due, so an instance without TTLs makes no engine call for it.
 */
public final class Expiries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Expiries.class);

    private final Path file;
    private final Supplier<Instant> clock;
    private final Map<String, Instant> byUuid = new TreeMap<>(); // guarded by this
    private boolean loaded; // guarded by this
    private ScheduledExecutorService schedule; // guarded by this

    /** @param file where the table is kept, or null for memory only */
    public Expiries(Path file, Supplier<Instant> clock) {
        this.file = file;
        this.clock = clock;
    }

    /** The expiry of a sandbox, or null when it has none. */
    public synchronized Instant of(String uuid) {
        load();
        return uuid == null ? null : byUuid.get(uuid);
    }

    /** {@code info} with its expiry (unchanged when it has none). */
    public SandboxInfo decorate(SandboxInfo info) {
        Instant at = of(info.uuid());
        return at == null ? info : info.withExpiresAt(at);
    }

    /** Sets the expiry to now + {@code ttl}. */
    public synchronized Instant set(String uuid, Duration ttl) {
        load();
        Instant at = clock.get().plus(ttl).truncatedTo(ChronoUnit.SECONDS); // the precision of the wire form
        byUuid.put(uuid, at);
        save();
        return at;
    }

    /** Moves the expiry to max(current expiry, now) + {@code by} (a sandbox without one gets one). */
    public synchronized Instant extend(String uuid, Duration by) {
        load();
        Instant now = clock.get();
        Instant current = byUuid.get(uuid);
        Instant at = (current == null || current.isBefore(now) ? now : current).plus(by).truncatedTo(ChronoUnit.SECONDS);
        byUuid.put(uuid, at);
        save();
        return at;
    }

    public synchronized void forget(String uuid) {
        load();
        if (uuid != null && byUuid.remove(uuid) != null) {
            save();
        }
    }

    /**
     * One pass: removes the expired sandboxes among {@code sandboxes} (listed only when an entry is due) and forgets
     * entries whose sandbox is gone; returns how many it removed. Never throws.
     */
    public int reap(Supplier<List<SandboxInfo>> sandboxes, AuditingBackend backend) {
        Set<String> due = new HashSet<>();
        synchronized (this) {
            load();
            Instant now = clock.get();
            byUuid.forEach((uuid, at) -> {
                if (!at.isAfter(now)) {
                    due.add(uuid);
                }
            });
        }
        if (due.isEmpty()) {
            return 0;
        }
        List<SandboxInfo> all;
        try {
            all = sandboxes.get();
        } catch (RuntimeException e) {
            LOG.warn("Expiry pass skipped: cannot list sandboxes: {}", e.getMessage());
            return 0;
        }
        int removed = 0;
        Set<String> present = new HashSet<>();
        for (SandboxInfo s : all) {
            if (s.uuid() == null) {
                continue;
            }
            present.add(s.uuid());
            if (due.contains(s.uuid())) {
                // Asked again: an extend (or a remove) may have come while the sandboxes were listed.
                Instant at = of(s.uuid());
                if (at == null || at.isAfter(clock.get())) {
                    continue;
                }
                try {
                    backend.remove(s.name(), Map.of("reason", "expired", "uuid", s.uuid(),
                            "expires_at", at.toString()));
                    removed++;
                    present.remove(s.uuid());
                } catch (RuntimeException e) {
                    LOG.warn("Could not remove expired sandbox {}: {}", s.name(), e.getMessage());
                }
            }
        }
        synchronized (this) {
            boolean changed = false;
            for (Iterator<String> it = byUuid.keySet().iterator(); it.hasNext(); ) {
                String uuid = it.next();
                if (due.contains(uuid) && !present.contains(uuid)) {
                    it.remove();
                    changed = true;
                }
            }
            if (changed) {
                save();
            }
        }
        return removed;
    }

    /** Runs {@code pass} every {@code interval}; {@link Duration#ZERO} schedules nothing. */
    public synchronized void schedule(Duration interval, Runnable pass) {
        if (interval.isZero() || schedule != null) {
            return;
        }
        schedule = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("agentkernel-expiry"));
        long ms = Math.max(1, interval.toMillis());
        schedule.scheduleWithFixedDelay(() -> {
            try {
                pass.run();
            } catch (RuntimeException e) {
                LOG.warn("Expiry pass failed: {}", e.toString()); // an exception would cancel the schedule
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
    }

    private void load() {
        if (loaded) {
            return;
        }
        loaded = true;
        if (file == null) {
            return;
        }
        try {
            JsonStateFile.read(file).ifPresent(doc -> doc.fields().forEachRemaining(e -> {
                try {
                    byUuid.put(e.getKey(), Instant.parse(e.getValue().asText()));
                } catch (RuntimeException bad) {
                    LOG.warn("Ignoring an unreadable expiry for {} in {}", e.getKey(), file);
                }
            }));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot read the sandbox expiries in {}: {}", file, e.getMessage());
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        byUuid.forEach((uuid, at) -> n.put(uuid, at.toString()));
        try {
            JsonStateFile.write(file, n);
        } catch (IOException e) {
            // The expiry still holds in memory; after a restart it would be lost, so say so.
            LOG.warn("Cannot save the sandbox expiries to {}: {}", file, e.getMessage());
        }
    }
}
