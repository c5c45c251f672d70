package dev.agentkernel.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's figures, baselines, ratios and target checks, as a text table or JSON. */
final class BenchReport {
    /** Baseline rows every latency row is compared with (by p50), in this order. */
    static final String DOCKER_RUN = "docker run --rm (CLI)";
    static final String DOCKER_EXEC_CLI = "docker exec (CLI)";
    static final String DOCKER_JAVA_EXEC = "docker-java exec (in-process)";
    static final String DOCKER_RUN_NETWORK = "docker run --rm, sandbox network";

    record Latency(String name, Samples.Summary s, boolean baseline, String note) {
    }

    record Scalar(String name, double value, String unit, String note) {
    }

    record Target(String what, String measured, Boolean holds) {
    }

    private final Map<String, String> machine;
    private final List<Latency> latencies = new ArrayList<>();
    private final List<Scalar> scalars = new ArrayList<>();
    private final List<Target> targets = new ArrayList<>();

    BenchReport(Map<String, String> machine) {
        this.machine = machine;
    }

    void latency(String name, Samples samples, String note) {
        latencies.add(new Latency(name, samples.summary(), false, note));
    }

    void baseline(String name, Samples samples) {
        latencies.add(new Latency(name, samples.summary(), true, null));
    }

    void scalar(String name, double value, String unit, String note) {
        scalars.add(new Scalar(name, value, unit, note));
    }

    Samples.Summary get(String name) {
        return latencies.stream().filter(l -> l.name().equals(name)).map(Latency::s).findFirst().orElse(null);
    }

    Double scalarValue(String name) {
        return scalars.stream().filter(s -> s.name().equals(name)).map(Scalar::value).findFirst().orElse(null);
    }

    /** A target: {@code holds} null when it could not be measured in this run. */
    void target(String what, String measured, Boolean holds) {
        targets.add(new Target(what, measured, holds));
    }

    void printTable(PrintWriter out) {
        out.println("agentkernel bench");
        machine.forEach((k, v) -> out.printf("  %-20s %s%n", k, v));
        out.println();
        List<String> baselineNames = latencies.stream().filter(Latency::baseline).filter(l -> l.s().count() > 0)
                .map(Latency::name).toList();
        StringBuilder header = new StringBuilder(String.format("%-44s %5s %4s %9s %9s %9s %9s", "latency (ms)", "n",
                "err", "p50", "p95", "p99", "max"));
        for (String b : baselineNames) {
            header.append(String.format("  %-14s", "x " + shortName(b)));
        }
        out.println(header);
        for (Latency l : latencies) {
            Samples.Summary s = l.s();
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-44s %5d %4d %9s %9s %9s %9s", l.name(),
                    s.count(), s.errors(), ms(s.p50()), ms(s.p95()), ms(s.p99()), ms(s.max())));
            for (String b : baselineNames) {
                Samples.Summary base = get(b);
                row.append(String.format("  %-14s", l.baseline() || Double.isNaN(s.p50()) ? "" : ratio(base.p50(), s.p50())));
            }
            out.println(row);
            if (l.note() != null) {
                out.println("    " + l.note());
            }
            s.errorKinds().forEach((k, v) -> out.println("    error x" + v + ": " + k));
        }
        out.println("  (x baseline = baseline p50 / this p50: above 1 is faster than the baseline)");
        out.println();
        out.printf("%-44s %12s%n", "figure", "value");
        for (Scalar s : scalars) {
            out.printf(Locale.ROOT, "%-44s %12s %s%s%n", s.name(), num(s.value()), s.unit(),
                    s.note() == null ? "" : "   (" + s.note() + ")");
        }
        out.println();
        out.println("targets");
        for (Target t : targets) {
            out.printf("  [%s] %s: %s%n", t.holds() == null ? " ? " : t.holds() ? "ok " : "MISS", t.what(), t.measured());
        }
        out.flush();
    }

    String json() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        ObjectNode mach = root.putObject("machine");
        machine.forEach(mach::put);
        ArrayNode lat = root.putArray("latencies_ms");
        for (Latency l : latencies) {
            ObjectNode o = lat.addObject().put("name", l.name()).put("baseline", l.baseline())
                    .put("count", l.s().count()).put("errors", l.s().errors());
            putNum(o, "p50", l.s().p50());
            putNum(o, "p95", l.s().p95());
            putNum(o, "p99", l.s().p99());
            putNum(o, "max", l.s().max());
            putNum(o, "mean", l.s().mean());
            if (l.note() != null) {
                o.put("note", l.note());
            }
            if (!l.baseline()) {
                ObjectNode ratios = o.putObject("speedup_vs_baseline_p50");
                latencies.stream().filter(Latency::baseline).filter(b -> b.s().count() > 0 && l.s().count() > 0)
                        .forEach(b -> putNum(ratios, b.name(), b.s().p50() / l.s().p50()));
            }
            if (!l.s().errorKinds().isEmpty()) {
                ObjectNode errs = o.putObject("error_kinds");
                l.s().errorKinds().forEach(errs::put);
            }
        }
        ArrayNode sc = root.putArray("figures");
        for (Scalar s : scalars) {
            ObjectNode o = sc.addObject().put("name", s.name()).put("unit", s.unit());
            putNum(o, "value", s.value());
            if (s.note() != null) {
                o.put("note", s.note());
            }
        }
        ArrayNode tg = root.putArray("targets");
        for (Target t : targets) {
            ObjectNode o = tg.addObject().put("target", t.what()).put("measured", t.measured());
            if (t.holds() == null) {
                o.putNull("holds");
            } else {
                o.put("holds", t.holds());
            }
        }
        try {
            return m.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putNum(ObjectNode o, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(field);
        } else {
            o.put(field, Math.round(v * 1000) / 1000.0);
        }
    }

    private static String shortName(String baseline) {
        Map<String, String> names = new LinkedHashMap<>();
        names.put(DOCKER_RUN, "docker run");
        names.put(DOCKER_RUN_NETWORK, "run sbx net");
        names.put(DOCKER_EXEC_CLI, "docker exec");
        names.put(DOCKER_JAVA_EXEC, "dj exec");
        return names.getOrDefault(baseline, baseline);
    }

    static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
    }

    static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    static String ratio(double base, double value) {
        if (Double.isNaN(base) || Double.isNaN(value) || value <= 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2fx", base / value);
    }
}
