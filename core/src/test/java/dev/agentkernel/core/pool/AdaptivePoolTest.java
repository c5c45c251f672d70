package dev.agentkernel.core.pool;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's target follows recent demand within its cap, a burst waits for the pool's creations, demand decays. */
class AdaptivePoolTest {
    private static final SandboxPool.Key KEY = new SandboxPool.Key("agentkernel/busybox:local",
            SecurityProfile.MODERATE, 1, 512);
    private final FakeBackend fake = new FakeBackend();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicInteger n = new AtomicInteger();
    private SandboxPool pool;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private SandboxPool pool(int min, int max, boolean adaptive) {
        pool = new SandboxPool(fake, min, max, adaptive, () -> "pool-t" + n.incrementAndGet(), 4, KernelMetrics.NONE,
                now::get);
        return pool;
    }

    private long warm() {
        return fake.list().stream().filter(s -> s.kind() == SandboxKind.POOL).count();
    }

    private static void waitUntil(BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in 20 s");
            }
            Thread.sleep(5);
        }
    }

    /** Claims {@code count} at once, each removing its member afterwards like a run; returns the hits. */
    private int burst(int count) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(count);
        List<Future<Optional<SandboxInfo>>> claims = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            claims.add(callers.submit(() -> pool.claim(KEY)));
        }
        int hits = 0;
        for (Future<Optional<SandboxInfo>> f : claims) {
            Optional<SandboxInfo> s = f.get(1, TimeUnit.MINUTES);
            if (s.isPresent()) {
                hits++;
                fake.remove(s.get().name());
            }
        }
        callers.shutdown();
        return hits;
    }

    @Test
    void aBurstIsServedByThePoolsCreationsAndTheTargetFollowsIt() throws Exception {
        pool(2, 64, true);
        pool.warm(KEY);
        waitUntil(() -> pool.stats().size() == 2);
        assertThat(burst(30)).as("every claim waited for a member on its way: no miss").isEqualTo(30);
        assertThat(pool.stats().misses()).isZero();
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(30);
        waitUntil(() -> pool.stats().size() == 30); // adapted: the next burst finds them warm
        assertThat(burst(30)).isEqualTo(30);
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(60);
    }

    @Test
    void theTargetIsCappedAndAFixedPoolMissesInstead() throws Exception {
        pool(1, 8, true);
        burst(20);
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(8);
        waitUntil(() -> pool.stats().size() == 8);
        assertThat(warm()).isEqualTo(8);
        pool.close();

        pool(1, 8, false);
        pool.warm(KEY);
        waitUntil(() -> pool.stats().size() == 1);
        int hits = burst(10);
        assertThat(hits).isLessThan(10);
        assertThat(pool.stats().misses()).isEqualTo(10 - hits);
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(1);
    }

    @Test
    void demandDecaysAndPruneGivesBackTheSurplus() throws Exception {
        pool(2, 64, true);
        burst(12);
        waitUntil(() -> pool.stats().size() == 12);
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        pool.prune();
        assertThat(pool.stats().size()).as("within the demand's memory").isEqualTo(12);
        now.addAndGet(SandboxPool.Demand.MEMORY.toNanos());
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(2);
        pool.prune();
        assertThat(pool.stats().size()).isEqualTo(2);
        waitUntil(() -> warm() == 2);
    }

    @Test
    void runsQueuedBehindAClaimCountAsDemandAtOnce() throws Exception {
        pool(2, 128, true);
        pool.claim(KEY, 99).ifPresent(s -> fake.remove(s.name()));
        assertThat(pool.stats().keys().get(0).target()).isEqualTo(100);
        waitUntil(() -> pool.stats().size() == 100);
    }

    @Test
    void refillsHoldBackForACallersOwnCreationButNotForAWaitingClaim() throws Exception {
        pool(2, 8, true);
        try (SandboxPool.Foreground coldRun = pool.foreground()) {
            pool.warm(KEY);
            Thread.sleep(300);
            assertThat(warm()).as("refills wait while a cold run creates").isZero();
            java.util.concurrent.CompletableFuture<Optional<SandboxInfo>> claim =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> pool.claim(KEY));
            assertThat(claim.get(20, TimeUnit.SECONDS)).as("a claim waiting for the key lets them go").isPresent();
        }
        waitUntil(() -> pool.stats().size() == 2);
    }

    @Test
    void refillsNobodyWaitsForRunOneAtATime() throws Exception {
        java.util.concurrent.atomic.AtomicInteger atOnce = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        dev.agentkernel.core.Backend slow = new dev.agentkernel.core.ForwardingBackend(fake) {
            @Override
            public SandboxInfo create(dev.agentkernel.api.SandboxSpec spec) {
                most.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(20);
                    return super.create(spec);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    atOnce.decrementAndGet();
                }
            }
        };
        pool = new SandboxPool(slow, 8, 16, true, () -> "pool-t" + n.incrementAndGet(), 4, KernelMetrics.NONE, now::get);
        pool.warm(KEY);
        waitUntil(() -> pool.stats().size() == 8);
        assertThat(most).as("a refill nobody waits for").hasValue(1);
        most.set(0);
        assertThat(burst(16)).isEqualTo(16);
        assertThat(most.get()).as("creations claims wait for run in parallel").isGreaterThan(1);
    }

    @Test
    void keysAreBounded() throws Exception {
        pool(1, 4, true);
        for (int i = 0; i < SandboxPool.MAX_KEYS + 20; i++) {
            pool.claim(new SandboxPool.Key("img" + i + ":1", SecurityProfile.MODERATE, 1, 512))
                    .ifPresent(s -> fake.remove(s.name()));
        }
        assertThat(pool.stats().keys().size()).isLessThanOrEqualTo(SandboxPool.MAX_KEYS);
    }
}
