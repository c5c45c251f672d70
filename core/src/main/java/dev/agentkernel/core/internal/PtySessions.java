package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.core.config.AgentKernelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The kernel's terminal sessions: at most {@code maxPerSandbox} open at once in one sandbox ({@code BUSY} beyond),
 * each closed (its process tree killed) after {@code idleTimeout} without input or output, and all closed with the
 * kernel. Sessions end on their own when their command exits; the slot is freed then.
 */
public final class PtySessions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PtySessions.class);
    private final int maxPerSandbox;
    private final Duration idleTimeout;
    private final Map<String, Integer> perSandbox = new ConcurrentHashMap<>();
    private final Set<Tracked> open = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService idleCheck; // made with the first session, guarded by this

    public PtySessions(AgentKernelConfig.Pty limits) {
        this.maxPerSandbox = limits.maxSessionsPerSandbox();
        this.idleTimeout = limits.idleTimeout();
    }

    /** Takes a slot in {@code sandbox}, opens the session with {@code opener} (given the tracking listener). */
    public PtySession open(String sandbox, PtyListener listener, Function<PtyListener, PtySession> opener) {
        Integer now = perSandbox.merge(sandbox, 1, Integer::sum);
        if (now > maxPerSandbox) {
            release(sandbox);
            throw new AgentKernelException.BusyException("Sandbox '" + sandbox + "' has " + maxPerSandbox
                    + " terminals open, the most allowed (pty.max_sessions_per_sandbox)");
        }
        Tracked t = new Tracked(listener);
        try {
            t.inner = opener.apply(t);
        } catch (RuntimeException e) {
            release(sandbox);
            throw e;
        }
        open.add(t);
        t.inner.exitCode().whenComplete((code, error) -> {
            if (open.remove(t)) {
                release(sandbox);
            }
        });
        scheduleIdleCheck();
        return t;
    }

    /** Open sessions in {@code sandbox} now. */
    public int openIn(String sandbox) {
        return perSandbox.getOrDefault(sandbox, 0);
    }

    private void release(String sandbox) {
        perSandbox.computeIfPresent(sandbox, (k, v) -> v <= 1 ? null : v - 1);
    }

    private synchronized void scheduleIdleCheck() {
        if (idleCheck == null) {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("agentkernel-pty-idle"));
            e.setRemoveOnCancelPolicy(true);
            long period = Math.max(50, Math.min(idleTimeout.toMillis() / 4, 10_000));
            e.scheduleWithFixedDelay(this::closeIdle, period, period, TimeUnit.MILLISECONDS);
            idleCheck = e;
        }
    }

    private void closeIdle() {
        long now = System.nanoTime();
        for (Tracked t : open) {
            if (now - t.lastActive > idleTimeout.toNanos()) {
                closeQuietly(t);
            }
        }
    }

    /** Closes every open session (their trees are killed). */
    @Override
    public void close() {
        open.forEach(PtySessions::closeQuietly);
        synchronized (this) {
            if (idleCheck != null) {
                idleCheck.shutdownNow();
            }
        }
    }

    /**
     * A session whose close fails (its connection already broken) must not stop the others from closing: on the
     * idle check an exception would also cancel the schedule, and no idle session would be closed again.
     */
    private static void closeQuietly(Tracked t) {
        try {
            t.close();
        } catch (RuntimeException e) {
            LOG.warn("Could not close a terminal: {}", e.toString());
        }
    }

    /** A session with its last activity: input written, output seen, a resize. */
    private static final class Tracked implements PtySession, PtyListener {
        final PtyListener listener;
        volatile PtySession inner;
        volatile long lastActive = System.nanoTime();

        Tracked(PtyListener listener) {
            this.listener = listener;
        }

        @Override
        public void onOutput(byte[] data) {
            lastActive = System.nanoTime();
            listener.onOutput(data);
        }

        @Override
        public void onExit(int exitCode) {
            listener.onExit(exitCode);
        }

        @Override
        public void write(byte[] data) {
            lastActive = System.nanoTime();
            inner.write(data);
        }

        @Override
        public void resize(int rows, int cols) {
            lastActive = System.nanoTime();
            inner.resize(rows, cols);
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return inner.exitCode();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
