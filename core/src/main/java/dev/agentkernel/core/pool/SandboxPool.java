package dev.agentkernel.core.pool;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Warm, started sandboxes ready for one run each. Thread-safe.
 *
 * <p>Pools are keyed by {@link Key} (image, profile, vcpus, memory); each key is kept at {@code targetPerKey}
 * warm members, all keys together at most {@code max}. At the cap, a key in use takes idle members away from the
 * key used least recently (they are removed, never handed to another key). Members are created by the same {@link Backend#create}
 * as any sandbox, with kind {@code pool}, so the key's profile is applied exactly as for a named sandbox.
 *
 * <p>Single use: {@link #claim} hands a member out and forgets it; the caller runs one command and removes it.
 * The pool never takes a member back. Each claim (hit or miss) schedules a background refill on a small bounded
 * executor; names are random, so concurrent refills never collide. A member found not running on claim is
 * removed and the next one tried. An empty pool answers at once (a miss), never blocks.
 */
public final class SandboxPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxPool.class);
    private static final int LATENCY_SAMPLES = 1024;

    /** What a warm sandbox must match to serve a run. */
    public record Key(String image, SecurityProfile profile, int vcpus, int memoryMb) {
        public Key {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(profile, "profile");
        }
    }

    private static final class KeyState {
        final Deque<SandboxInfo> idle = new ArrayDeque<>();
        int creating;
        long hits;
        long misses;
        long lastUsedNanos = System.nanoTime();
    }

    private final Backend backend;
    private final int targetPerKey;
    private final int max;
    private final Supplier<String> names;
    private final ThreadPoolExecutor refills;
    private final KernelMetrics metrics;
    private final Map<Key, KeyState> keys = new LinkedHashMap<>();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private int latencyCount;
    private long creations;
    private long failures;
    private boolean closed;

    /**
     * @param backend      creates and removes members (the auditing backend: pool members are audited too)
     * @param targetPerKey warm members kept per key; 0 disables the pool
     * @param max          warm members overall
     * @param names        fresh random sandbox names
     * @param threads      refill threads (creation runs in parallel up to this)
     * @param metrics      hears how long each claim took, hit or miss
     */
    public SandboxPool(Backend backend, int targetPerKey, int max, Supplier<String> names, int threads,
                       KernelMetrics metrics) {
        this.backend = backend;
        this.metrics = metrics;
        this.targetPerKey = Math.max(0, targetPerKey);
        this.max = Math.max(0, max);
        this.names = names;
        AtomicInteger n = new AtomicInteger();
        this.refills = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "agentkernel-pool-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.refills.allowCoreThreadTimeOut(true);
    }

    public boolean enabled() {
        return targetPerKey > 0 && max > 0;
    }

    /** Registers a key and starts filling it in the background. */
    public void warm(Key key) {
        if (enabled()) {
            refill(key);
        }
    }

    /**
     * Hands out a warm, running member of {@code key} for exactly one run, or empty when none is ready (a miss).
     * Either way a refill is scheduled.
     */
    public Optional<SandboxInfo> claim(Key key) {
        if (!enabled()) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        try {
            while (true) {
                SandboxInfo candidate;
                synchronized (this) {
                    if (closed) {
                        return Optional.empty();
                    }
                    KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
                    state.lastUsedNanos = System.nanoTime();
                    candidate = state.idle.pollFirst();
                    if (candidate == null) {
                        state.misses++;
                        metrics.poolClaim(System.nanoTime() - start, false);
                        return Optional.empty();
                    }
                }
                if (isRunning(candidate.name())) {
                    long took = System.nanoTime() - start;
                    synchronized (this) {
                        keys.get(key).hits++;
                        latencies[latencyCount++ % LATENCY_SAMPLES] = took;
                    }
                    metrics.poolClaim(took, true);
                    return Optional.of(candidate);
                }
                discard(candidate.name(), "broken");
            }
        } finally {
            refill(key);
        }
    }

    /**
     * Drops idle members whose container is gone or not running (one inspect per idle member, at most
     * {@code max}), and refills their keys. Called by the periodic reconcile.
     */
    public int prune() {
        if (!enabled()) {
            return 0;
        }
        Map<Key, List<SandboxInfo>> idle = new LinkedHashMap<>();
        synchronized (this) {
            if (closed) {
                return 0;
            }
            keys.forEach((k, st) -> idle.put(k, List.copyOf(st.idle)));
        }
        int dropped = 0;
        for (Map.Entry<Key, List<SandboxInfo>> e : idle.entrySet()) {
            boolean any = false;
            for (SandboxInfo member : e.getValue()) {
                if (isRunning(member.name())) {
                    continue;
                }
                boolean ours;
                synchronized (this) {
                    KeyState st = keys.get(e.getKey());
                    ours = st != null && st.idle.remove(member); // not claimed meanwhile
                }
                if (ours) {
                    discard(member.name(), "container gone");
                    dropped++;
                    any = true;
                }
            }
            if (any) {
                refill(e.getKey());
            }
        }
        return dropped;
    }

    private boolean isRunning(String name) {
        try {
            return backend.inspect(name).map(SandboxInfo::running).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void discard(String name, String reason) {
        synchronized (this) {
            failures++;
        }
        LOG.warn("Discarding pool sandbox {}: {}", name, reason);
        removeQuietly(name);
    }

    private void removeQuietly(String name) {
        try {
            backend.remove(name);
        } catch (RuntimeException e) {
            LOG.warn("Could not remove pool sandbox {}: {}", name, e.getMessage());
        }
    }

    private void refill(Key key) {
        int toCreate;
        List<SandboxInfo> evicted = new ArrayList<>();
        synchronized (this) {
            if (closed || !enabled()) {
                return;
            }
            KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
            int deficit = targetPerKey - state.idle.size() - state.creating;
            int room = max - total();
            // At the overall cap, the key used least recently gives up idle members for the one in use now.
            while (deficit > room) {
                KeyState victim = leastRecentlyUsedWithIdle(state);
                if (victim == null) {
                    break;
                }
                evicted.add(victim.idle.pollLast());
                room++;
            }
            toCreate = Math.max(0, Math.min(deficit, room));
            state.creating += toCreate;
        }
        for (SandboxInfo e : evicted) {
            try {
                refills.execute(() -> removeQuietly(e.name()));
            } catch (RejectedExecutionException ex) {
                removeQuietly(e.name());
            }
        }
        for (int i = 0; i < toCreate; i++) {
            try {
                refills.execute(() -> createMember(key));
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    keys.get(key).creating--;
                }
            }
        }
    }

    private KeyState leastRecentlyUsedWithIdle(KeyState except) {
        KeyState best = null;
        for (KeyState s : keys.values()) {
            if (s != except && !s.idle.isEmpty() && (best == null || s.lastUsedNanos - best.lastUsedNanos < 0)) {
                best = s;
            }
        }
        return best;
    }

    private int total() {
        int total = 0;
        for (KeyState s : keys.values()) {
            total += s.idle.size() + s.creating;
        }
        return total;
    }

    private void createMember(Key key) {
        SandboxInfo info = null;
        try {
            info = backend.create(new SandboxSpec(names.get(), key.image(), key.vcpus(), key.memoryMb(), key.profile(),
                    Map.of(), Map.of(), SandboxKind.POOL));
        } catch (RuntimeException e) {
            LOG.warn("Pool refill for {} failed: {}", key.image(), e.getMessage());
        }
        boolean keep;
        synchronized (this) {
            KeyState state = keys.get(key);
            state.creating--;
            if (info == null) {
                failures++;
                return;
            }
            creations++;
            keep = !closed;
            if (keep) {
                state.idle.addLast(info);
            }
        }
        if (!keep) {
            removeQuietly(info.name());
        }
    }

    public synchronized PoolStats stats() {
        List<PoolStats.KeyStats> perKey = new ArrayList<>();
        long hits = 0;
        long misses = 0;
        int size = 0;
        for (Map.Entry<Key, KeyState> e : keys.entrySet()) {
            Key k = e.getKey();
            KeyState s = e.getValue();
            perKey.add(new PoolStats.KeyStats(k.image(), k.profile().wireName(), k.vcpus(), k.memoryMb(), s.idle.size(),
                    targetPerKey, s.hits, s.misses));
            hits += s.hits;
            misses += s.misses;
            size += s.idle.size();
        }
        int n = Math.min(latencyCount, LATENCY_SAMPLES);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        return new PoolStats(enabled(), targetPerKey, max, size, hits, misses, creations, failures,
                percentileMs(sorted, 0.50), percentileMs(sorted, 0.99), perKey);
    }

    private static double percentileMs(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1_000_000.0;
    }

    /** Stops refilling, waits for creations in flight, and removes every warm member. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        refills.shutdown();
        try {
            if (!refills.awaitTermination(2, TimeUnit.MINUTES)) {
                LOG.warn("Pool refills still running after 2 minutes; their sandboxes are left to the next reconcile");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<SandboxInfo> drain = new ArrayList<>();
        synchronized (this) {
            keys.values().forEach(s -> {
                drain.addAll(s.idle);
                s.idle.clear();
            });
        }
        drain.forEach(s -> removeQuietly(s.name()));
    }
}
