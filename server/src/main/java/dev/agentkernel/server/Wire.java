package dev.agentkernel.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The JSON wire format of every response: the envelope and the shape of each value, snake_case,
 * unknown (null) fields omitted. The seed's shapes come first in each object, extensions after them.
 */
final class Wire {
    /** Request nesting deeper than this is refused while parsing (a deep-nesting body must not cost a stack). */
    static final int MAX_NESTING = 64;
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build());
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The sandbox detail the Docker backend reports and clients have read as a field of its own since 0.1. */
    private static final String EXEC_VIA = "exec_via";

    private Wire() {
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }

    static byte[] writeBytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON tree", e);
        }
    }

    static ObjectNode ok(JsonNode data) {
        ObjectNode n = NODES.objectNode();
        n.put("success", true);
        n.set("data", data);
        return n;
    }

    static ObjectNode error(String message, ErrorCode code) {
        ObjectNode n = NODES.objectNode();
        n.put("success", false);
        n.put("error", message);
        n.put("code", code.code());
        return n;
    }

    static JsonNode text(String s) {
        return NODES.textNode(s);
    }

    /** ISO-8601 in UTC to the millisecond (the fraction only when non-zero), for audit timestamps. */
    static String millis(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    /** {@code name}, {@code status}, {@code backend}: what the seed shows for a created sandbox. */
    static ObjectNode sandboxSummary(SandboxInfo s) {
        ObjectNode n = NODES.objectNode();
        n.put("name", s.name());
        n.put("status", s.status().wireName());
        n.put("backend", s.backend());
        return n;
    }

    /** Everything known about a sandbox; unknown fields are omitted. */
    static ObjectNode sandbox(SandboxInfo s) {
        ObjectNode n = sandboxSummary(s);
        if (s.image() != null) {
            n.put("image", s.image());
        }
        if (s.vcpus() != null) {
            n.put("vcpus", s.vcpus());
        }
        if (s.memoryMb() != null) {
            n.put("memory_mb", s.memoryMb());
        }
        if (s.createdAt() != null) {
            // ISO-8601 UTC to the second, as the seed shows (2026-01-30T12:00:00Z): SandboxInfo keeps the time to
            // the second, so its toString() is that form, the one every front end prints.
            n.put("created_at", s.createdAt().toString());
        }
        if (s.profile() != null) {
            n.put("profile", s.profile().wireName());
        }
        n.put("kind", s.kind().wireName());
        // Backend-specific facts: kept as they are in "details"; Docker's exec_via also where clients read it before.
        if (s.detail(EXEC_VIA) != null) {
            n.put(EXEC_VIA, s.detail(EXEC_VIA));
        }
        if (!s.details().isEmpty()) {
            ObjectNode details = n.putObject("details");
            new java.util.TreeMap<>(s.details()).forEach(details::put);
        }
        if (s.uuid() != null) {
            n.put("uuid", s.uuid());
        }
        if (s.expiresAt() != null) {
            n.put("expires_at", s.expiresAt().toString());
        }
        return n;
    }

    /** Upstream's DetachedCommand, plus our {@code truncated}. */
    static ObjectNode detached(dev.agentkernel.api.DetachedCommand c) {
        ObjectNode n = NODES.objectNode();
        n.put("id", c.id());
        n.put("sandbox", c.sandbox());
        ArrayNode argv = n.putArray("command");
        c.command().forEach(argv::add);
        n.put("pid", c.pid());
        n.put("status", c.status().wireName());
        if (c.exitCode() == null) {
            n.putNull("exit_code");
        } else {
            n.put("exit_code", c.exitCode());
        }
        if (c.startedAt() != null) {
            n.put("started_at", millis(c.startedAt()));
        }
        n.put("truncated", c.truncated());
        return n;
    }

    /** A JSON array of the items, each written by {@code item} (the list answers: sandboxes, snapshots, ...). */
    static <T> ArrayNode array(Collection<T> list, Function<T, JsonNode> item) {
        ArrayNode a = NODES.arrayNode();
        list.forEach(t -> a.add(item.apply(t)));
        return a;
    }

    static ObjectNode exec(ExecResult r) {
        ObjectNode n = NODES.objectNode();
        n.put("output", r.output());
        putExecExtensions(n, r);
        return n;
    }

    private static void putExecExtensions(ObjectNode n, ExecResult r) {
        n.put("exit_code", r.exitCode());
        n.put("stdout", r.stdout());
        n.put("stderr", r.stderr());
        n.put("duration_ms", r.duration().toMillis());
        n.put("timed_out", r.timedOut());
        n.put("truncated", r.truncated());
    }

    static ObjectNode run(RunResult r) {
        ObjectNode n = exec(r.exec());
        putRunExtensions(n, r);
        return n;
    }

    private static void putRunExtensions(ObjectNode n, RunResult r) {
        n.put("sandbox", r.sandbox());
        putRunExtensions(n, r.image(), r.imageNote(), r.pooled());
    }

    /** What a run adds: the image used, why when it is a fallback, whether the pool served it. */
    static void putRunExtensions(ObjectNode n, String image, String imageNote, boolean pooled) {
        if (image != null) {
            n.put("image", image);
        }
        if (imageNote != null) {
            n.put("image_note", imageNote);
        }
        n.put("pooled", pooled);
    }

    /** {@code {"results":[{"output","error"}, ...]}} in input order; a failed item has a null output. */
    static ObjectNode batch(List<BatchOutcome> outcomes) {
        ArrayNode results = NODES.arrayNode();
        for (BatchOutcome o : outcomes) {
            ObjectNode item = NODES.objectNode();
            if (o.result() != null) {
                item.put("output", o.result().exec().output());
                item.putNull("error");
                putExecExtensions(item, o.result().exec());
                putRunExtensions(item, o.result());
            } else {
                AgentKernelException e = o.error();
                item.putNull("output");
                item.put("error", e.getMessage());
                item.put("code", e.code().code());
            }
            results.add(item);
        }
        ObjectNode n = NODES.objectNode();
        n.set("results", results);
        return n;
    }

    /** Text when the bytes are valid UTF-8, base64 otherwise. */
    static ObjectNode file(FileContent f) {
        ObjectNode n = NODES.objectNode();
        Optional<String> text = f.utf8();
        if (text.isPresent()) {
            n.put("content", text.get());
            n.put("encoding", "utf8");
        } else {
            n.put("content", Base64.getEncoder().encodeToString(f.content()));
            n.put("encoding", "base64");
        }
        n.put("size", f.size());
        return n;
    }

    // ---- snapshots, volumes, secrets (issue 15)

    /** Upstream's SnapshotMeta; {@code profile} is ours. */
    static ObjectNode snapshot(SnapshotInfo s) {
        ObjectNode n = NODES.objectNode();
        n.put("name", s.name());
        n.put("sandbox", s.sandbox());
        n.put("image_tag", s.imageTag());
        n.put("backend", s.backend());
        if (s.baseImage() != null) {
            n.put("base_image", s.baseImage());
        }
        if (s.vcpus() != null) {
            n.put("vcpus", s.vcpus());
        }
        if (s.memoryMb() != null) {
            n.put("memory_mb", s.memoryMb());
        }
        n.put("created_at", s.createdAt().toString());
        if (s.profile() != null) {
            n.put("profile", s.profile().wireName());
        }
        return n;
    }

    static ObjectNode volume(VolumeInfo v) {
        ObjectNode n = NODES.objectNode();
        n.put("name", v.name());
        n.put("backend", v.backend());
        if (v.createdAt() != null) {
            n.put("created_at", v.createdAt().toString());
        }
        return n;
    }

    static ArrayNode auditEvents(List<AuditEvent> events) {
        ArrayNode a = NODES.arrayNode();
        for (AuditEvent e : events) {
            ObjectNode n = NODES.objectNode();
            n.put("timestamp", millis(e.timestamp()));
            n.put("event", e.event());
            if (e.sandbox() == null) {
                n.putNull("sandbox");
            } else {
                n.put("sandbox", e.sandbox());
            }
            if (!e.details().isEmpty()) {
                n.set("details", MAPPER.valueToTree(e.details()));
            }
            a.add(n);
        }
        return a;
    }

    static ObjectNode pool(PoolStats p) {
        ObjectNode n = NODES.objectNode();
        n.put("enabled", p.enabled());
        n.put("target_per_key", p.targetPerKey());
        n.put("max", p.max());
        n.put("size", p.size());
        n.put("hits", p.hits());
        n.put("misses", p.misses());
        n.put("creations", p.creations());
        n.put("failures", p.failures());
        n.put("claim_latency_p50_ms", p.claimLatencyP50Ms());
        n.put("claim_latency_p99_ms", p.claimLatencyP99Ms());
        ArrayNode keys = n.putArray("keys");
        for (PoolStats.KeyStats k : p.keys()) {
            ObjectNode kn = keys.addObject();
            kn.put("image", k.image());
            kn.put("profile", k.profile());
            kn.put("vcpus", k.vcpus());
            kn.put("memory_mb", k.memoryMb());
            kn.put("size", k.size());
            kn.put("target", k.target());
            kn.put("hits", k.hits());
            kn.put("misses", k.misses());
        }
        return n;
    }

    /**
     * {@code {"status":"ok"}} plus the backend, version and what the backend can do; {@code unavailable} with the
     * reason when down.
     */
    static ObjectNode health(BackendHealth h, String version, Collection<Capability> capabilities) {
        ObjectNode n = NODES.objectNode();
        // The seed's {"status":"ok"} and the upstream SDKs' envelope {"success":true,"data":"ok"} at once.
        n.put("success", h.available());
        if (h.available()) {
            n.put("data", "ok");
        } else {
            // the error envelope of every other 503, so that clients read one shape for every failure
            n.put("error", "backend unavailable");
            n.put("code", ErrorCode.BACKEND_UNAVAILABLE.code());
        }
        n.put("status", h.available() ? "ok" : "unavailable");
        if (h.backend() != null) {
            n.put("backend", h.backend());
        }
        n.put("version", version);
        ArrayNode caps = n.putArray("capabilities");
        capabilities.stream().map(Capability::wireName).sorted().forEach(caps::add);
        if (!h.available() && h.message() != null) {
            n.put("message", h.message());
        }
        return n;
    }

    static ObjectNode object(Map<String, ?> fields) {
        return MAPPER.valueToTree(fields);
    }
}
