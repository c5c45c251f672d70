package dev.agentkernel.core.internal;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories and executors of the kernel's background work. Daemon threads: an embedder that forgets to
 * close the kernel must not have its JVM kept alive by them; named, so a thread dump says whose they are.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** Threads named {@code prefix-1}, {@code prefix-2}, ... */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * A fixed-size executor with an unbounded queue whose threads end after {@code idle}: an idle kernel holds no
     * threads, and nothing is started before the first task (building a kernel starts no thread).
     */
    public static ThreadPoolExecutor executor(String prefix, int threads, Duration idle) {
        ThreadPoolExecutor e = new ThreadPoolExecutor(threads, threads, idle.toMillis(), TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), named(prefix));
        e.allowCoreThreadTimeOut(true);
        return e;
    }
}
