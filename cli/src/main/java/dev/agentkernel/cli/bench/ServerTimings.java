package dev.agentkernel.cli.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's own timings (the {@code _seconds} histograms of {@code /metrics}: engine calls per operation, audit
 * appends, admission waits, pool claims) at one moment; the difference of two tells what a phase of the benchmark
 * spent where — the profile of the engine calls behind a figure.
 */
final class ServerTimings {
    private static final Pattern SERIES = Pattern.compile(
            "(?m)^(agentkernel_[a-z_]+)_seconds_(sum|count)(\\{[^}]*})? (\\S+)$");

    /** Calls and total seconds of one series. */
    record Series(double count, double seconds) {
        double meanMs() {
            return count == 0 ? Double.NaN : seconds / count * 1000;
        }
    }

    private final Map<String, Series> series;

    private ServerTimings(Map<String, Series> series) {
        this.series = series;
    }

    static ServerTimings parse(String prometheusText) {
        Map<String, double[]> raw = new TreeMap<>();
        Matcher m = SERIES.matcher(prometheusText);
        while (m.find()) {
            String key = m.group(1) + (m.group(3) == null ? "" : m.group(3));
            double[] v = raw.computeIfAbsent(key, k -> new double[2]);
            v[m.group(2).equals("count") ? 0 : 1] = Double.parseDouble(m.group(4));
        }
        Map<String, Series> out = new TreeMap<>();
        raw.forEach((k, v) -> out.put(k, new Series(v[0], v[1])));
        return new ServerTimings(out);
    }

    /** What happened between {@code before} and this. */
    ServerTimings since(ServerTimings before) {
        Map<String, Series> out = new TreeMap<>();
        series.forEach((k, s) -> {
            Series b = before.series.getOrDefault(k, new Series(0, 0));
            if (s.count() > b.count()) {
                out.put(k, new Series(s.count() - b.count(), s.seconds() - b.seconds()));
            }
        });
        return new ServerTimings(out);
    }

    /** Series whose name starts with {@code prefix} (e.g. {@code agentkernel_engine_call}), by their labels. */
    Map<String, Series> of(String prefix) {
        Map<String, Series> out = new TreeMap<>();
        series.forEach((k, s) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), s);
            }
        });
        return out;
    }
}
