package dev.agentkernel.core.pool;

import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.KernelMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Warm, started sandboxes ready for one run each. Thread-safe.
 *
 * <p>Pools are keyed by {@link Key} (image, profile, vcpus, memory). Each key has a target of warm members: at least
 * {@code minPerKey}; when adaptive, the key's recent demand — the most runs it saw within {@link Demand#WINDOW}, or at
 * once with those queued behind them, during the last {@link Demand#MEMORY} — up to {@code max}. All keys together hold at most {@code max}. At the cap, a
 * key in use takes idle members away from the key used least recently (they are removed, never handed to another
 * key). Members are created by the same {@link Backend#create} as any sandbox, with kind {@code pool}, so the key's
 * profile is applied exactly as for a named sandbox; creations run on {@code threads} threads (the engine's best
 * parallelism), never on a caller's thread.
 *
 * <p>Single use: {@link #claim} hands a member out and forgets it; the caller runs one command and removes it. The
 * pool never takes a member back. A member found not running on claim is removed and the next one tried. When the
 * key has no idle member, an adaptive pool lets the claim wait for a member being created for it (a burst is then
 * served by the pool's creations at the engine's best parallelism, instead of each run creating its own sandbox on
 * top of them); otherwise — no creation on its way, or a fixed-size pool — the claim answers at once (a miss).
 * When demand falls, {@link #prune} removes idle members above the target.
 *
 * <p>Creations a caller waits for come first. Creations that claims wait for run at {@code threads} at once (the
 * engine's best parallelism); a refill nobody waits for yet is a guess at the future and runs one at a time, and not
 * at all while a run creates its own sandbox ({@link #foreground}): container creation is CPU-heavy for the engine,
 * and the runs, execs and cold creates of users now must not queue behind it.
 */
public final class SandboxPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxPool.class);
    private static final int LATENCY_SAMPLES = 1024;
    /** Keys remembered at most; beyond, keys with nothing warm, made or awaited are forgotten (oldest use first). */
    static final int MAX_KEYS = 64;
    /** How long a claim waits for a member on its way before it gives up (a miss). */
    static final Duration MAX_CLAIM_WAIT = Duration.ofMinutes(2);
    /** How long a refill holds back for callers' own creations at most: a steady stream of them must not starve it. */
    static final Duration MAX_YIELD = Duration.ofSeconds(10);

    /** What a warm sandbox must match to serve a run. */
    public record Key(String image, SecurityProfile profile, int vcpus, int memoryMb) {
        public Key {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(profile, "profile");
        }
    }

    /**
     * Runs of one key per 10-second bucket over the last 10 minutes, and the most runs seen at once (a run and those
     * queued behind it for admission); the peak over two adjacent buckets, or at once, is the demand the pool
     * prepares for. Guarded by the pool.
     */
    static final class Demand {
        static final Duration WINDOW = Duration.ofSeconds(10);
        static final Duration MEMORY = Duration.ofMinutes(10);
        private static final int BUCKETS = (int) (MEMORY.toNanos() / WINDOW.toNanos());
        private final int[] counts = new int[BUCKETS];
        private final int[] atOnce = new int[BUCKETS];
        private long lastBucket = Long.MIN_VALUE;

        /** One run, with {@code queuedBehind} more waiting for admission. */
        void count(long nanos, int queuedBehind) {
            int b = (int) Math.floorMod(advance(nanos), BUCKETS);
            counts[b]++;
            atOnce[b] = Math.max(atOnce[b], counts[b] + Math.max(0, queuedBehind));
        }

        int peak(long nanos) {
            advance(nanos);
            int peak = 0;
            for (int i = 0; i < BUCKETS; i++) {
                peak = Math.max(peak, Math.max(atOnce[i], counts[i] + counts[(i + BUCKETS - 1) % BUCKETS]));
            }
            return peak;
        }

        private long advance(long nanos) {
            long b = Math.floorDiv(nanos, WINDOW.toNanos());
            if (lastBucket == Long.MIN_VALUE || b - lastBucket >= BUCKETS) {
                Arrays.fill(counts, 0);
                Arrays.fill(atOnce, 0);
            } else {
                for (long i = lastBucket + 1; i <= b; i++) {
                    counts[(int) Math.floorMod(i, BUCKETS)] = 0;
                    atOnce[(int) Math.floorMod(i, BUCKETS)] = 0;
                }
            }
            lastBucket = Math.max(lastBucket, b);
            return lastBucket;
        }
    }

    private static final class KeyState {
        final Deque<SandboxInfo> idle = new ArrayDeque<>();
        final Demand demand = new Demand();
        int creating;
        int waiting;
        long hits;
        long misses;
        long lastUsedNanos;
    }

    private final Backend backend;
    private final int minPerKey;
    private final int max;
    private final boolean adaptive;
    private final Supplier<String> names;
    private final ThreadPoolExecutor creations;
    private final KernelMetrics metrics;
    private final LongSupplier clock;
    private final Map<Key, KeyState> keys = new LinkedHashMap<>();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private int latencyCount;
    private long created;
    private long failures;
    private boolean closed;
    /** How many creations (and, at close, removals) run at once: the engine's best parallelism. */
    private final int threads;
    /** Creations callers wait for outside the pool (cold runs) now. Guarded by this. */
    private int foreground;
    /** Refills no claim waits for: one at a time. */
    private final java.util.concurrent.Semaphore speculative = new java.util.concurrent.Semaphore(1);

    /**
     * @param backend   creates and removes members (the auditing backend: pool members are audited too)
     * @param minPerKey warm members kept per key at least; 0 disables the pool
     * @param max       warm members overall
     * @param adaptive  whether a key's target follows its recent demand up to {@code max}
     * @param names     fresh random sandbox names
     * @param threads   creations in parallel at most
     * @param metrics   hears how long each claim took, hit or miss
     */
    public SandboxPool(Backend backend, int minPerKey, int max, boolean adaptive, Supplier<String> names, int threads,
                       KernelMetrics metrics) {
        this(backend, minPerKey, max, adaptive, names, threads, metrics, System::nanoTime);
    }

    SandboxPool(Backend backend, int minPerKey, int max, boolean adaptive, Supplier<String> names, int threads,
                KernelMetrics metrics, LongSupplier clock) {
        this.backend = backend;
        this.minPerKey = Math.max(0, minPerKey);
        this.max = Math.max(0, max);
        this.adaptive = adaptive;
        this.names = names;
        this.metrics = metrics;
        this.clock = clock;
        this.threads = Math.max(1, threads);
        AtomicInteger n = new AtomicInteger();
        this.creations = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "agentkernel-pool-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.creations.allowCoreThreadTimeOut(true);
    }

    public boolean enabled() {
        return minPerKey > 0 && max > 0;
    }

    /** Marks a creation a caller waits for, until closed; see the class comment. */
    public interface Foreground extends AutoCloseable {
        @Override
        void close();
    }

    /** Holds back the pool's speculative creations until the returned mark is closed. */
    public Foreground foreground() {
        synchronized (this) {
            foreground++;
        }
        boolean[] done = {false};
        return () -> {
            synchronized (this) {
                if (!done[0]) {
                    done[0] = true;
                    foreground--;
                    notifyAll();
                }
            }
        };
    }

    /** Whether claims wait for members of {@code key} now (or the pool closes: nothing is held back then). */
    private synchronized boolean awaited(Key key) {
        KeyState s = keys.get(key);
        return closed || s != null && s.waiting > 0;
    }

    /**
     * Waits (at most {@link #MAX_YIELD}) while callers wait for creations of their own and no claim waits for this
     * key's members.
     */
    private synchronized void yieldToForeground(Key key) {
        long end = clock.getAsLong() + MAX_YIELD.toNanos();
        while (foreground > 0 && !closed) {
            KeyState s = keys.get(key);
            long left = end - clock.getAsLong();
            if (s != null && s.waiting > 0 || left <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Registers a key and starts filling it in the background. */
    public void warm(Key key) {
        if (enabled()) {
            List<Runnable> work;
            synchronized (this) {
                work = plan(key, state(key));
            }
            submit(work);
        }
    }

    /** {@link #claim(Key, int)} with nothing known to wait behind it. */
    public Optional<SandboxInfo> claim(Key key) {
        return claim(key, 0);
    }

    /**
     * Hands out a warm, running member of {@code key} for exactly one run, or empty when none is ready and none is on
     * its way (a miss). Counts the demand — this run, and {@code queuedBehind} runs waiting for admission, so that a
     * burst shows its whole size at once — and schedules the creations the key's target asks for.
     */
    public Optional<SandboxInfo> claim(Key key, int queuedBehind) {
        if (!enabled()) {
            return Optional.empty();
        }
        long start = clock.getAsLong();
        long deadline = start + MAX_CLAIM_WAIT.toNanos();
        List<Runnable> work;
        synchronized (this) {
            if (closed) {
                return Optional.empty();
            }
            KeyState state = state(key);
            state.lastUsedNanos = start;
            state.demand.count(start, queuedBehind);
            work = plan(key, state);
        }
        submit(work);
        try {
            while (true) {
                SandboxInfo candidate = nextIdle(key, deadline);
                if (candidate == null) {
                    metrics.poolClaim(clock.getAsLong() - start, false);
                    return Optional.empty();
                }
                // On the answer path: the backend's cheapest word (Docker: the agent's open connection, no engine call)
                if (backend.running(candidate.name())) {
                    long took = clock.getAsLong() - start;
                    synchronized (this) {
                        state(key).hits++;
                        latencies[latencyCount++ % LATENCY_SAMPLES] = took;
                    }
                    metrics.poolClaim(took, true);
                    return Optional.of(candidate);
                }
                discard(candidate.name(), "broken");
            }
        } finally {
            warm(key); // replaces what was taken or discarded
        }
    }

    /** The next idle member, waiting for one on its way when adaptive; null for a miss (counted). */
    private synchronized SandboxInfo nextIdle(Key key, long deadline) {
        KeyState state = state(key);
        while (true) {
            if (closed) {
                return null;
            }
            SandboxInfo candidate = state.idle.pollFirst();
            if (candidate != null) {
                return candidate;
            }
            long left = deadline - clock.getAsLong();
            if (!adaptive || state.creating <= state.waiting || left <= 0) {
                state.misses++;
                return null;
            }
            state.waiting++;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                state.misses++;
                return null;
            } finally {
                state.waiting--;
            }
        }
    }

    /**
     * Drops idle members whose container is gone or not running (one inspect per idle member, at most {@code max})
     * and idle members above their key's target (demand fell), then refills. Called by the periodic reconcile.
     */
    public int prune() {
        if (!enabled()) {
            return 0;
        }
        Map<Key, List<SandboxInfo>> idle = new LinkedHashMap<>();
        List<SandboxInfo> surplus = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return 0;
            }
            keys.forEach((k, st) -> {
                int target = target(st);
                while (st.idle.size() > target) {
                    surplus.add(st.idle.pollLast()); // the newest: the oldest have shown they stay up
                }
                idle.put(k, List.copyOf(st.idle));
            });
        }
        surplus.forEach(s -> removeQuietly(s.name()));
        int dropped = 0;
        for (Map.Entry<Key, List<SandboxInfo>> e : idle.entrySet()) {
            boolean any = false;
            for (SandboxInfo member : e.getValue()) {
                if (engineSaysRunning(member.name())) {
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
                warm(e.getKey());
            }
        }
        return dropped;
    }

    /** The engine's own word (an inspect): the periodic prune can afford it, and it also sees a paused member. */
    private boolean engineSaysRunning(String name) {
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

    /** The key's state, made when new; forgets keys that hold nothing when there are too many. Caller holds the lock. */
    private KeyState state(Key key) {
        KeyState s = keys.get(key);
        if (s != null) {
            return s;
        }
        if (keys.size() >= MAX_KEYS) {
            keys.entrySet().stream()
                    .filter(e -> e.getValue().idle.isEmpty() && e.getValue().creating == 0 && e.getValue().waiting == 0)
                    .min(Comparator.comparingLong(e -> e.getValue().lastUsedNanos))
                    .map(Map.Entry::getKey).ifPresent(keys::remove);
        }
        s = new KeyState();
        s.lastUsedNanos = clock.getAsLong();
        keys.put(key, s);
        return s;
    }

    /** Warm members the key should have now. Caller holds the lock. */
    private int target(KeyState state) {
        if (!adaptive) {
            return minPerKey;
        }
        return Math.min(max, Math.max(minPerKey, state.demand.peak(clock.getAsLong())));
    }

    /**
     * The work that brings the key to its target: creations, and removals of idle members other keys give up at the
     * overall cap. Counted as creating at once, run by {@link #submit} outside the lock. Caller holds the lock.
     */
    private List<Runnable> plan(Key key, KeyState state) {
        if (closed) {
            return List.of();
        }
        int deficit = target(state) - state.idle.size() - state.creating;
        if (deficit <= 0) {
            return List.of();
        }
        int room = max - total();
        List<Runnable> work = new ArrayList<>();
        // At the overall cap, the key used least recently gives up idle members for the one in use now.
        while (deficit > room) {
            KeyState victim = leastRecentlyUsedWithIdle(state);
            if (victim == null) {
                break;
            }
            String evicted = victim.idle.pollLast().name();
            work.add(() -> removeQuietly(evicted));
            room++;
        }
        int toCreate = Math.max(0, Math.min(deficit, room));
        state.creating += toCreate;
        for (int i = 0; i < toCreate; i++) {
            work.add(new Creation(key));
        }
        return work;
    }

    private void submit(List<Runnable> work) {
        for (Runnable r : work) {
            try {
                creations.execute(r);
            } catch (RejectedExecutionException closing) {
                abandon(r);
            }
        }
    }

    /** Undoes the count of a creation that will never run. */
    private void abandon(Runnable r) {
        if (r instanceof Creation c) {
            synchronized (this) {
                KeyState s = keys.get(c.key);
                if (s != null) {
                    s.creating--;
                }
                notifyAll();
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

    /** One member to make for a key. */
    private final class Creation implements Runnable {
        final Key key;

        Creation(Key key) {
            this.key = key;
        }

        @Override
        public void run() {
            boolean permit = false;
            if (!awaited(key)) {
                yieldToForeground(key);
                // a claim may start waiting meanwhile: then this creation is no longer a guess
                while (!awaited(key) && !permit) {
                    try {
                        permit = speculative.tryAcquire(100, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            SandboxInfo info = null;
            try {
                info = backend.create(new SandboxSpec(names.get(), key.image(), key.vcpus(), key.memoryMb(),
                        key.profile(), Map.of(), Map.of(), SandboxKind.POOL));
            } catch (RuntimeException e) {
                LOG.warn("Pool refill for {} failed: {}", key.image(), e.getMessage());
            } finally {
                if (permit) {
                    speculative.release();
                }
            }
            boolean keep;
            synchronized (SandboxPool.this) {
                KeyState state = state(key);
                state.creating--;
                SandboxPool.this.notifyAll(); // waiting claims: a member, or one fewer on its way
                if (info == null) {
                    failures++;
                    return;
                }
                created++;
                keep = !closed;
                if (keep) {
                    state.idle.addLast(info);
                }
            }
            if (!keep) {
                removeQuietly(info.name());
            }
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
                    target(s), s.hits, s.misses));
            hits += s.hits;
            misses += s.misses;
            size += s.idle.size();
        }
        int n = Math.min(latencyCount, LATENCY_SAMPLES);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        return new PoolStats(enabled(), minPerKey, max, size, hits, misses, created, failures,
                percentileMs(sorted, 0.50), percentileMs(sorted, 0.99), perKey);
    }

    private static double percentileMs(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1_000_000.0;
    }

    /**
     * Stops refilling: creations not started are dropped, those running are waited for; waiting claims get a miss;
     * every warm member is removed.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        creations.shutdown();
        List<Runnable> queued = new ArrayList<>();
        creations.getQueue().drainTo(queued);
        queued.forEach(this::abandon);
        try {
            if (!creations.awaitTermination(2, TimeUnit.MINUTES)) {
                LOG.warn("Pool creations still running after 2 minutes; their sandboxes are left to the next reconcile");
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
        // Removed as many at a time as the pool creates: an adapted pool of 100 members took ~60 s one by one, longer
        // than a service manager waits after SIGTERM, and the members it never reached outlived the process.
        ThreadPoolExecutor removals = new ThreadPoolExecutor(threads, threads, 1, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "agentkernel-pool-drain");
                    t.setDaemon(true);
                    return t;
                });
        drain.forEach(s -> removals.execute(() -> removeQuietly(s.name())));
        removals.shutdown();
        try {
            if (!removals.awaitTermination(2, TimeUnit.MINUTES)) {
                LOG.warn("Warm members still being removed after 2 minutes; the rest are left to the next reconcile");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
