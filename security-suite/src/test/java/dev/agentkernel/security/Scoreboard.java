package dev.agentkernel.security;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figures gathered by the universal checks and the cases, per kind; printed as a table by {@link SummaryListener}.
 * Thread-safe (cases may report from their worker threads).
 */
final class Scoreboard {
    /** One row. */
    static final class Row {
        final AtomicLong cases = new AtomicLong();
        final AtomicLong passed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong badInput = new AtomicLong();
        final AtomicLong badInput5xx = new AtomicLong();
        final AtomicLong leakedContainers = new AtomicLong();
        final AtomicLong auditLost = new AtomicLong();
        volatile long recoveryMsMax = -1;
    }

    private static final Map<Kind, Row> ROWS = new EnumMap<>(Kind.class);

    static {
        for (Kind k : Kind.values()) {
            ROWS.put(k, new Row());
        }
    }

    private Scoreboard() {
    }

    static Row row(Kind k) {
        return ROWS.get(k);
    }

    static synchronized void recovery(Kind k, long ms) {
        Row r = ROWS.get(k);
        r.recoveryMsMax = Math.max(r.recoveryMsMax, ms);
    }

    static String table() {
        StringBuilder b = new StringBuilder();
        b.append("| kind | cases | passed | failed | requests | bad-input requests | 5xx for bad input | leaked containers | audit events lost after SIGKILL | recovery after SIGKILL |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        long[] t = new long[8];
        for (Map.Entry<Kind, Row> e : ROWS.entrySet()) {
            Row r = e.getValue();
            long[] v = {r.cases.get(), r.passed.get(), r.failed.get(), r.requests.get(), r.badInput.get(),
                    r.badInput5xx.get(), r.leakedContainers.get(), r.auditLost.get()};
            for (int i = 0; i < v.length; i++) {
                t[i] += v[i];
            }
            b.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %d | %s | %s |%n", e.getKey().label,
                    v[0], v[1], v[2], v[3], v[4], v[5], v[6], e.getKey() == Kind.CRASHES ? String.valueOf(v[7]) : "-",
                    r.recoveryMsMax < 0 ? "-" : r.recoveryMsMax + " ms"));
        }
        b.append(String.format(Locale.ROOT, "| **all** | %d | %d | %d | %d | %d | %d | %d | %d | %s |%n", t[0], t[1], t[2],
                t[3], t[4], t[5], t[6], t[7], ROWS.get(Kind.CRASHES).recoveryMsMax < 0 ? "-"
                        : ROWS.get(Kind.CRASHES).recoveryMsMax + " ms"));
        return b.toString();
    }

    static long passed() {
        return ROWS.values().stream().mapToLong(r -> r.passed.get()).sum();
    }

    static long failed() {
        return ROWS.values().stream().mapToLong(r -> r.failed.get()).sum();
    }
}
