package dev.agentkernel.docker.agent;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread for every agent connection of the process: a few times a second it lets each client check its
 * write deadline and its agent's liveness ({@link AgentClient#checkHealth}). A check only reads clocks and queues
 * a PING; it never blocks, so one stuck sandbox cannot delay the others' checks.
 */
final class AgentWatchdog {
    static final long TICK_MS = 250;
    private static final Set<AgentClient> CLIENTS = ConcurrentHashMap.newKeySet();
    private static final ScheduledThreadPoolExecutor TIMER = start();

    private AgentWatchdog() {
    }

    private static ScheduledThreadPoolExecutor start() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "agentkernel-agent-watchdog");
            th.setDaemon(true);
            return th;
        });
        t.scheduleWithFixedDelay(AgentWatchdog::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        return t;
    }

    static void watch(AgentClient client) {
        CLIENTS.add(client);
    }

    static void forget(AgentClient client) {
        CLIENTS.remove(client);
    }

    private static void tick() {
        long now = System.nanoTime();
        for (AgentClient c : CLIENTS) {
            try {
                c.checkHealth(now);
            } catch (RuntimeException e) {
                // a bug in one check must not end the timer for everyone
                org.slf4j.LoggerFactory.getLogger(AgentWatchdog.class).warn("agent health check failed", e);
            }
        }
    }
}
