package dev.agentkernel.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Latency samples of one figure plus its failures. Thread-safe. */
final class Samples {
    private final List<Long> nanos = new ArrayList<>();
    private final Map<String, Integer> errors = new TreeMap<>();

    synchronized void add(long durationNanos) {
        nanos.add(durationNanos);
    }

    synchronized void fail(String reason) {
        errors.merge(reason.length() > 120 ? reason.substring(0, 120) : reason, 1, Integer::sum);
    }

    /** Times {@code action}; a failure is counted with its message, not timed. */
    void time(ThrowingRunnable action) {
        long t0 = System.nanoTime();
        try {
            action.run();
            add(System.nanoTime() - t0);
        } catch (Exception e) {
            fail(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    synchronized Summary summary() {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int failed = errors.values().stream().mapToInt(Integer::intValue).sum();
        if (sorted.isEmpty()) {
            return new Summary(0, failed, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Map.copyOf(errors));
        }
        double mean = sorted.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
        return new Summary(sorted.size(), failed, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99),
                sorted.get(sorted.size() - 1) / 1e6, mean, Map.copyOf(errors));
    }

    /** Nearest-rank percentile in milliseconds. */
    static double pct(List<Long> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1))) / 1e6;
    }

    /** Milliseconds; NaN when there were no successful samples. */
    record Summary(int count, int errors, double p50, double p95, double p99, double max, double mean,
                   Map<String, Integer> errorKinds) {
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
