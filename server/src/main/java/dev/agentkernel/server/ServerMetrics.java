package dev.agentkernel.server;

import dev.agentkernel.api.PoolStats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the server, rendered in the Prometheus text exposition format (0.0.4). */
final class ServerMetrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> runs = new ConcurrentHashMap<>();
    private final LongAdder commandMillis = new LongAdder();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final LongAdder droppedStreams = new LongAdder();

    /** One answered request, labelled by the operation (or {@code unmatched}), method and status. */
    void request(String operation, String method, int status) {
        requests.computeIfAbsent(label("operation", operation) + "," + label("method", method) + ","
                + label("status", String.valueOf(status)), k -> new LongAdder()).increment();
    }

    /** One command that ended, by kind ({@code run}, {@code exec}, {@code batch}) and outcome. */
    void command(String kind, String outcome, long durationMs) {
        runs.computeIfAbsent(label("kind", kind) + "," + label("outcome", outcome), k -> new LongAdder()).increment();
        commandMillis.add(Math.max(0, durationMs));
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

    String render(int inFlight, PoolStats pool) {
        StringBuilder b = new StringBuilder();
        counter(b, "agentkernel_http_requests_total", "HTTP requests answered.", requests);
        counter(b, "agentkernel_commands_total", "Commands that ran to an end (any exit status) or failed.", runs);
        b.append("# HELP agentkernel_command_duration_ms_total Milliseconds spent running commands.\n")
                .append("# TYPE agentkernel_command_duration_ms_total counter\n")
                .append("agentkernel_command_duration_ms_total ").append(commandMillis.sum()).append('\n');
        gauge(b, "agentkernel_blocking_calls_in_flight", "Kernel calls running or queued.", inFlight);
        gauge(b, "agentkernel_streams_active", "Open event streams.", activeStreams.get());
        b.append("# HELP agentkernel_streams_dropped_total Event streams closed because the client did not read.\n")
                .append("# TYPE agentkernel_streams_dropped_total counter\n")
                .append("agentkernel_streams_dropped_total ").append(droppedStreams.sum()).append('\n');
        if (pool != null) {
            gauge(b, "agentkernel_pool_enabled", "Whether the warm pool is on.", pool.enabled() ? 1 : 0);
            gauge(b, "agentkernel_pool_size", "Warm sandboxes now.", pool.size());
            gauge(b, "agentkernel_pool_max", "Cap of warm sandboxes.", pool.max());
            gauge(b, "agentkernel_pool_hits_total", "Runs served by a warm sandbox.", pool.hits());
            gauge(b, "agentkernel_pool_misses_total", "Runs that found no warm sandbox.", pool.misses());
            gauge(b, "agentkernel_pool_creations_total", "Warm sandboxes created.", pool.creations());
            gauge(b, "agentkernel_pool_failures_total", "Warm sandbox creations that failed.", pool.failures());
            gauge(b, "agentkernel_pool_claim_latency_p50_ms", "Median time to hand out a warm sandbox.",
                    pool.claimLatencyP50Ms());
            gauge(b, "agentkernel_pool_claim_latency_p99_ms", "99th percentile time to hand out a warm sandbox.",
                    pool.claimLatencyP99Ms());
        }
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, Map<String, LongAdder> values) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        new TreeMap<>(values).forEach((labels, v) ->
                b.append(name).append('{').append(labels).append("} ").append(v.sum()).append('\n'));
    }

    private static void gauge(StringBuilder b, String name, String help, Number value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        b.append(name).append(' ').append(value).append('\n');
    }

    private static String label(String name, String value) {
        return name + "=\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
