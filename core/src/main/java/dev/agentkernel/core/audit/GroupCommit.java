package dev.agentkernel.core.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Group commit: callers hand in items and wait; one writer thread takes every item waiting at that moment (in
 * arrival order) and commits them together with one {@code commit} call — for the audit log one write and one
 * force for many events — then releases each caller with the batch's outcome. A caller is released only after the
 * commit that holds its item returned: the guarantee of committing one by one, at the cost of one commit per batch
 * instead of one per item.
 *
 * <p>The writer thread is never interrupted (a {@link java.nio.channels.FileChannel} closes when an I/O thread is);
 * callers wait uninterruptibly and keep their interrupt flag. Thread-safe.
 *
 * @param <T> what is committed
 */
final class GroupCommit<T> implements AutoCloseable {
    /** Items committed together at most. */
    static final int MAX_BATCH = 256;

    private static final class Pending<T> {
        final T item;
        final CountDownLatch done = new CountDownLatch(1);
        volatile RuntimeException failure;

        Pending(T item) {
            this.item = item;
        }
    }

    private final String threadName;
    private final Consumer<List<T>> commit;
    private final Supplier<RuntimeException> closedError;
    private final LinkedBlockingQueue<Pending<T>> queue = new LinkedBlockingQueue<>();
    /** Put after the last item by {@link #close}: the writer ends when it takes it. */
    private final Pending<T> end = new Pending<>(null);
    private Thread writer; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param commit      commits a batch, all or nothing; an exception fails every caller of the batch with it
     * @param closedError what callers get after {@link #close}
     */
    GroupCommit(String threadName, Consumer<List<T>> commit, Supplier<RuntimeException> closedError) {
        this.threadName = threadName;
        this.commit = commit;
        this.closedError = closedError;
    }

    /** Commits {@code item}; returns once a commit holding it returned, throws what that commit threw. */
    void submit(T item) {
        Pending<T> p = new Pending<>(item);
        synchronized (this) {
            if (closed) {
                throw closedError.get();
            }
            queue.add(p);
            if (writer == null) {
                writer = new Thread(this::drain, threadName);
                writer.setDaemon(true);
                writer.start();
            }
        }
        boolean interrupted = false;
        while (true) {
            try {
                p.done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the item is being committed: wait for the outcome anyway
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (p.failure != null) {
            throw p.failure;
        }
    }

    private void drain() {
        List<Pending<T>> batch = new ArrayList<>();
        List<T> items = new ArrayList<>();
        while (true) {
            Pending<T> first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                continue; // nobody interrupts this thread; keep serving
            }
            batch.add(first);
            queue.drainTo(batch, MAX_BATCH - 1);
            boolean last = batch.remove(end);
            for (Pending<T> p : batch) {
                items.add(p.item);
            }
            RuntimeException failure = null;
            if (!items.isEmpty()) {
                try {
                    commit.accept(items);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            for (Pending<T> p : batch) {
                p.failure = failure;
                p.done.countDown();
            }
            batch.clear();
            items.clear();
            if (last) {
                return;
            }
        }
    }

    /** Refuses new items, commits those already handed in, and ends the writer (waits up to 30 s). */
    @Override
    public void close() {
        Thread w;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            w = writer;
            if (w != null) {
                queue.add(end);
            }
        }
        if (w != null) {
            try {
                w.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
