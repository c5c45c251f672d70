package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A burst is queued, not shed: refusals only when the queue is full or a caller waited past the deadline. */
class AdmissionTest {
    @Test
    void aBurstLargerThanTheSlotsIsServedInFullWithinTheDeadline() throws Exception {
        Admission a = new Admission(2, 100, Duration.ofMinutes(1));
        ExecutorService callers = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> done = new ArrayList<>();
        int[] maxSeen = {0};
        for (int i = 0; i < 50; i++) {
            done.add(callers.submit(() -> {
                go.await();
                try (Admission.Permit p = a.acquire()) {
                    synchronized (maxSeen) {
                        maxSeen[0] = Math.max(maxSeen[0], a.inFlight());
                    }
                    Thread.sleep(5);
                }
                return true;
            }));
        }
        go.countDown();
        for (Future<Boolean> f : done) {
            assertThat(f.get(1, TimeUnit.MINUTES)).isTrue(); // no BUSY for anyone
        }
        callers.shutdown();
        assertThat(maxSeen[0]).isEqualTo(2);
        assertThat(a.inFlight()).isZero();
        assertThat(a.queued()).isZero();
    }

    @Test
    void aFullQueueRefusesAtOnceAndAnExpiredWaitIsRefused() throws Exception {
        Admission a = new Admission(1, 1, Duration.ofSeconds(30));
        Admission.Permit held = a.acquire();
        Thread waiter = new Thread(() -> a.acquire().close());
        waiter.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (a.queued() < 1 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(a.queued()).isEqualTo(1);
        long start = System.nanoTime();
        assertThatThrownBy(a::acquire).isInstanceOf(AgentKernelException.BusyException.class)
                .hasMessageContaining("1 queued");
        assertThat(System.nanoTime() - start).as("refused without waiting").isLessThan(TimeUnit.SECONDS.toNanos(10));
        held.close();
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();

        Admission quick = new Admission(1, 10, Duration.ofMillis(50));
        try (Admission.Permit p = quick.acquire()) {
            assertThatThrownBy(quick::acquire).isInstanceOf(AgentKernelException.BusyException.class)
                    .hasMessageContaining("within 50 ms");
        }
        assertThat(quick.queued()).isZero();
    }
}
