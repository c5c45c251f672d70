package dev.agentkernel.core.audit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GroupCommitTest {
    private final Set<Integer> committed = ConcurrentHashMap.newKeySet();
    private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    private GroupCommit<Integer> slowCommits() {
        return new GroupCommit<>("test-writer", items -> {
            sleep(10); // a force takes a while: callers pile up behind it
            if (items.contains(-1)) {
                throw new IllegalStateException("disk full");
            }
            committed.addAll(items);
            batchSizes.add(items.size());
        }, () -> new IllegalStateException("closed"));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void callersShareCommitsAndAreReleasedOnlyAfterTheirs() throws Exception {
        try (GroupCommit<Integer> g = slowCommits()) {
            ExecutorService callers = Executors.newFixedThreadPool(16);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> acks = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int item = i;
                acks.add(callers.submit(() -> {
                    go.await();
                    g.submit(item);
                    return committed.contains(item); // acknowledged: its commit has returned
                }));
            }
            go.countDown();
            for (Future<Boolean> a : acks) {
                assertThat(a.get(1, TimeUnit.MINUTES)).isTrue();
            }
            callers.shutdown();
        }
        assertThat(committed).hasSize(200);
        assertThat(batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
        assertThat(batchSizes.size()).as("fewer commits than items").isLessThan(200);
        assertThat(batchSizes).allSatisfy(s -> assertThat(s).isLessThanOrEqualTo(GroupCommit.MAX_BATCH));
    }

    @Test
    void aFailedCommitFailsItsCallersAndTheNextOnesGoOn() throws Exception {
        try (GroupCommit<Integer> g = slowCommits()) {
            assertThatThrownBy(() -> g.submit(-1)).hasMessage("disk full");
            g.submit(7);
            assertThat(committed).containsExactly(7);
        }
    }

    @Test
    void anInterruptedCallerWaitsForItsCommitAndKeepsTheFlag() {
        try (GroupCommit<Integer> g = slowCommits()) {
            Thread.currentThread().interrupt();
            g.submit(3);
            assertThat(Thread.interrupted()).isTrue();
            assertThat(committed).contains(3);
        }
    }

    @Test
    void closeCommitsWhatWasHandedInThenRefuses() throws Exception {
        GroupCommit<Integer> g = slowCommits();
        Thread t = new Thread(() -> g.submit(1));
        t.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (committed.isEmpty() && batchSizes.isEmpty() && t.isAlive() && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        g.close();
        t.join(10_000);
        assertThat(committed).contains(1);
        assertThatThrownBy(() -> g.submit(2)).hasMessage("closed");
    }
}
