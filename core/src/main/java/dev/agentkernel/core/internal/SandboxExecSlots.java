package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;

import java.util.HashMap;
import java.util.Map;

/**
 * Bounds the commands running at once in one sandbox ({@code limits.max_execs_per_sandbox}), so one sandbox cannot
 * take every global slot. Refuses at once (no waiting) with {@code BUSY}. A name's entry lives only while it has
 * commands running, so the map never grows beyond the sandboxes busy right now. Thread-safe.
 */
public final class SandboxExecSlots {
    private final int max;
    private final Map<String, Integer> running = new HashMap<>();

    public SandboxExecSlots(int max) {
        if (max <= 0) {
            throw new IllegalArgumentException("max must be positive");
        }
        this.max = max;
    }

    /** Takes a slot of {@code sandbox}; closing the permit gives it back (once). */
    public Admission.Permit acquire(String sandbox) {
        synchronized (running) {
            int now = running.getOrDefault(sandbox, 0);
            if (now >= max) {
                throw new AgentKernelException.BusyException("Sandbox '" + sandbox + "' already runs " + max
                        + " commands; retry later");
            }
            running.put(sandbox, now + 1);
        }
        boolean[] released = {false};
        return () -> {
            synchronized (running) {
                if (!released[0]) {
                    released[0] = true;
                    running.computeIfPresent(sandbox, (k, n) -> n <= 1 ? null : n - 1);
                }
            }
        };
    }

    /** Commands running in {@code sandbox} now. */
    public int running(String sandbox) {
        synchronized (running) {
            return running.getOrDefault(sandbox, 0);
        }
    }

    /** Sandboxes with commands running now (the entries held). */
    public int trackedSandboxes() {
        synchronized (running) {
            return running.size();
        }
    }
}
