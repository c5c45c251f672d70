package dev.agentkernel.server;

import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.KernelMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The server's metrics on Micrometer with the Prometheus registry: request, command, admission, pool, engine and
 * audit timings as histograms (fixed buckets, so a dashboard can compute p50/p99 across instances), figures of the
 * pool and the sandboxes, and JVM/process figures. It is also the kernel's {@link KernelMetrics} recorder.
 *
 * <p>Every label value comes from a bounded set (operation names, methods the API knows, status codes, outcomes),
 * never from a raw path or a header: a client cannot grow the registry. Names follow the Prometheus conventions
 * (base units, {@code _seconds}, {@code _bytes}, {@code _total}); {@code docs/metrics.md} lists them.
 */
final class ServerMetrics implements KernelMetrics, AutoCloseable {
    /** Histogram buckets of every timing: from an agent exec (~1 ms) to a long command. */
    static final Duration[] BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5)};
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final AtomicReference<PoolStats> pool = new AtomicReference<>();
    private volatile java.util.function.LongSupplier accessLogDropped;
    private final MultiGauge poolSize;
    private final MultiGauge poolTarget;
    private final MultiGauge sandboxes;
    private final Counter droppedStreams;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    ServerMetrics() {
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER || !id.getName().startsWith("agentkernel.")) {
                    return config;
                }
                double[] slos = new double[BUCKETS.length];
                for (int i = 0; i < BUCKETS.length; i++) {
                    slos[i] = BUCKETS[i].toNanos();
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(slos).build().merge(config);
            }
        });
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("process.resident.memory", ServerMetrics::residentBytes).baseUnit("bytes")
                .description("Resident set size of this process (Linux /proc).").register(registry);
        Gauge.builder("agentkernel.streams.active", activeStreams, AtomicInteger::get)
                .description("Open event streams.").register(registry);
        droppedStreams = Counter.builder("agentkernel.streams.dropped")
                .description("Event streams closed because the client did not read.").register(registry);

        Gauge.builder("agentkernel.pool.enabled", pool, p -> p.get() != null && p.get().enabled() ? 1 : 0)
                .description("Whether the warm pool is on.").register(registry);
        Gauge.builder("agentkernel.pool.max", pool, p -> p.get() == null ? 0 : p.get().max())
                .description("Cap of warm sandboxes over all keys.").register(registry);
        poolCounter("hits", "Runs served by a warm sandbox.", PoolStats::hits);
        poolCounter("misses", "Runs that found no warm sandbox.", PoolStats::misses);
        poolCounter("creations", "Warm sandboxes created.", PoolStats::creations);
        poolCounter("failures", "Warm sandboxes that could not be created or were found broken.", PoolStats::failures);
        poolSize = MultiGauge.builder("agentkernel.pool.size").description("Warm sandboxes now, per key.")
                .register(registry);
        poolTarget = MultiGauge.builder("agentkernel.pool.target")
                .description("Warm sandboxes the pool keeps, per key.").register(registry);
        sandboxes = MultiGauge.builder("agentkernel.sandboxes")
                .description("Sandboxes by kind and status (named, and temporary ones while their run lasts).")
                .register(registry);
    }

    /** Access log lines dropped because the log did not keep up. */
    void bindAccessLog(java.util.function.LongSupplier dropped) {
        accessLogDropped = dropped; // Micrometer holds it weakly (see bindInFlight)
        FunctionCounter.builder("agentkernel.access.log.dropped", dropped, java.util.function.LongSupplier::getAsLong)
                .description("Access log lines dropped because the log destination did not keep up.").register(registry);
    }

    /** Calls into the kernel running or queued on the worker pool. */
    void bindInFlight(IntSupplier inFlight) {
        // Strong: Micrometer holds a gauge's object weakly, and a method reference has no other holder, so it
        // would be collected and the gauge read NaN.
        Gauge.builder("agentkernel.blocking.calls.in.flight", inFlight, IntSupplier::getAsInt).strongReference(true)
                .description("Kernel calls running or queued.").register(registry);
    }

    private void poolCounter(String name, String help, java.util.function.ToLongFunction<PoolStats> f) {
        FunctionCounter.builder("agentkernel.pool." + name, pool, p -> p.get() == null ? 0 : f.applyAsLong(p.get()))
                .description(help).register(registry);
    }

    /** One answered request, by operation ({@code unmatched} when no route matched), method and status. */
    void request(String operation, String method, int status, long nanos) {
        String m = METHODS.contains(method) ? method : "other";
        timer("agentkernel.http.server.requests", "HTTP requests, from the first byte read to the last written.",
                "operation", operation, "method", m, "status", Integer.toString(status)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One command that ended, by kind ({@code run}, {@code exec}, {@code batch}) and outcome; the kernel call's time. */
    void command(String kind, String outcome, long nanos) {
        timer("agentkernel.command.duration", "Commands, from admission to the result (create and remove included for runs).",
                "kind", kind, "outcome", outcome).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    void streamOpened() {
        activeStreams.incrementAndGet();
    }

    void streamClosed() {
        activeStreams.decrementAndGet();
    }

    /** An event stream whose client did not keep up was closed. */
    void streamDropped() {
        droppedStreams.increment();
    }

    @Override
    public void engineCall(String operation, long nanos, boolean ok) {
        timer("agentkernel.engine.call", "Calls into the engine (the backend), below the audit.",
                "operation", operation, "outcome", ok ? "ok" : "error").record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void admissionWait(String operation, long nanos, boolean admitted) {
        timer("agentkernel.admission.wait", "Time commands waited for a slot (limits.max_concurrent_runs).",
                "operation", operation, "outcome", admitted ? "admitted" : "refused").record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void poolClaim(long nanos, boolean hit) {
        timer("agentkernel.pool.claim", "Time a run took to get a warm sandbox, or to learn there was none.",
                "result", hit ? "hit" : "miss").record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void auditAppend(long nanos) {
        timer("agentkernel.audit.append", "Audit events written and forced to disk, as the caller waited.")
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A timer by name and tags, cached: a Micrometer lookup allocates, and these are on every request. */
    private Timer timer(String name, String help, String... tags) {
        List<String> key = new ArrayList<>(tags.length + 1);
        key.add(name);
        key.addAll(List.of(tags));
        return timers.computeIfAbsent(key, k -> Timer.builder(name).description(help).tags(tags).register(registry));
    }

    /**
     * The Prometheus text with the pool and sandbox figures of this moment.
     *
     * @param poolStats the pool now, or null when it could not be read
     * @param list      the sandboxes now, or null when the engine could not be asked
     */
    String scrape(PoolStats poolStats, List<SandboxInfo> list) {
        pool.set(poolStats);
        List<MultiGauge.Row<?>> sizes = new ArrayList<>();
        List<MultiGauge.Row<?>> targets = new ArrayList<>();
        if (poolStats != null) {
            for (PoolStats.KeyStats k : poolStats.keys()) {
                Tags tags = Tags.of("image", k.image(), "profile", k.profile(), "vcpus", Integer.toString(k.vcpus()),
                        "memory_mb", Integer.toString(k.memoryMb()));
                sizes.add(MultiGauge.Row.of(tags, k.size()));
                targets.add(MultiGauge.Row.of(tags, k.target()));
            }
        }
        poolSize.register(sizes, true);
        poolTarget.register(targets, true);
        List<MultiGauge.Row<?>> byStatus = new ArrayList<>();
        if (list != null) {
            Map<List<String>, Integer> counts = new TreeMap<>((a, b) -> String.join("/", a).compareTo(String.join("/", b)));
            for (SandboxInfo s : list) {
                counts.merge(List.of(s.kind().wireName(), s.status().wireName()), 1, Integer::sum);
            }
            counts.forEach((k, n) -> byStatus.add(MultiGauge.Row.of(Tags.of("kind", k.get(0), "status", k.get(1)), n)));
        }
        sandboxes.register(byStatus, true);
        return registry.scrape();
    }

    private static double residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return Double.NaN;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
