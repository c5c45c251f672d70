package dev.agentkernel.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;

import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} forms: the same field names as the HTTP API (snake_case, unknown values omitted),
 * so scripts can switch between the CLI and the API without renaming.
 */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Object> sandbox(SandboxInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("status", s.status().wireName());
        m.put("backend", s.backend());
        putIfKnown(m, "image", s.image());
        putIfKnown(m, "vcpus", s.vcpus());
        putIfKnown(m, "memory_mb", s.memoryMb());
        putIfKnown(m, "created_at", s.createdAt() == null ? null : s.createdAt().toString());
        putIfKnown(m, "profile", s.profile() == null ? null : s.profile().wireName());
        m.put("kind", s.kind().wireName());
        putIfKnown(m, "uuid", s.uuid());
        putIfKnown(m, "expires_at", s.expiresAt() == null ? null : s.expiresAt().toString());
        return m;
    }

    /** The API's DetachedCommand. */
    public static Map<String, Object> detached(dev.agentkernel.api.DetachedCommand c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("sandbox", c.sandbox());
        m.put("command", c.command());
        m.put("pid", c.pid());
        m.put("status", c.status().wireName());
        m.put("exit_code", c.exitCode());
        putIfKnown(m, "started_at", c.startedAt() == null ? null : c.startedAt().toString());
        m.put("truncated", c.truncated());
        return m;
    }

    public static List<Map<String, Object>> sandboxes(List<SandboxInfo> list) {
        return list.stream().map(Json::sandbox).toList();
    }

    public static Map<String, Object> exec(ExecResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exit_code", r.exitCode());
        m.put("output", r.output());
        m.put("stdout", r.stdout());
        m.put("stderr", r.stderr());
        m.put("duration_ms", r.duration().toMillis());
        m.put("timed_out", r.timedOut());
        m.put("truncated", r.truncated());
        return m;
    }

    public static Map<String, Object> run(RunResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sandbox", r.sandbox());
        putIfKnown(m, "image", r.image());
        putIfKnown(m, "image_note", r.imageNote());
        m.put("pooled", r.pooled());
        m.putAll(exec(r.exec()));
        return m;
    }

    public static Map<String, Object> batchItem(BatchOutcome o) {
        if (o.error() != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("output", null);
            m.put("error", o.error().getMessage());
            m.put("code", o.error().code().code());
            return m;
        }
        Map<String, Object> m = run(o.result());
        m.put("error", null);
        return m;
    }

    public static Map<String, Object> audit(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", e.timestamp().toString());
        m.put("event", e.event());
        putIfKnown(m, "sandbox", e.sandbox());
        e.details().forEach(m::putIfAbsent);
        return m;
    }

    public static Map<String, Object> pool(PoolStats p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", p.enabled());
        m.put("target_per_key", p.targetPerKey());
        m.put("max", p.max());
        m.put("size", p.size());
        m.put("hits", p.hits());
        m.put("misses", p.misses());
        m.put("creations", p.creations());
        m.put("failures", p.failures());
        m.put("claim_latency_p50_ms", p.claimLatencyP50Ms());
        m.put("claim_latency_p99_ms", p.claimLatencyP99Ms());
        m.put("keys", p.keys().stream().map(k -> {
            Map<String, Object> km = new LinkedHashMap<>();
            km.put("image", k.image());
            km.put("profile", k.profile());
            km.put("vcpus", k.vcpus());
            km.put("memory_mb", k.memoryMb());
            km.put("size", k.size());
            km.put("target", k.target());
            km.put("hits", k.hits());
            km.put("misses", k.misses());
            return km;
        }).toList());
        return m;
    }

    /** The wire shape of {@code GET /snapshots/{name}}. */
    public static Map<String, Object> snapshot(dev.agentkernel.api.SnapshotInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("sandbox", s.sandbox());
        m.put("image_tag", s.imageTag());
        m.put("backend", s.backend());
        putIfKnown(m, "base_image", s.baseImage());
        putIfKnown(m, "vcpus", s.vcpus());
        putIfKnown(m, "memory_mb", s.memoryMb());
        m.put("created_at", s.createdAt().toString());
        putIfKnown(m, "profile", s.profile() == null ? null : s.profile().wireName());
        return m;
    }

    public static Map<String, Object> volume(dev.agentkernel.api.VolumeInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("backend", v.backend());
        putIfKnown(m, "created_at", v.createdAt() == null ? null : v.createdAt().toString());
        return m;
    }

    private static void putIfKnown(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
