package dev.agentkernel.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the API (snake_case, see the server's OpenAPI document) to and from the client's records.
 * Reading is lenient: unknown fields are ignored and missing optional ones become null, so a newer server
 * keeps working with this client.
 */
final class Wire {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private Wire() {
    }

    static ObjectMapper newMapper() {
        return JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    // ---- requests

    static ObjectNode runBody(ObjectMapper mapper, RunRequest r) {
        ObjectNode body = execBody(mapper, r.asExec());
        putIfSet(body, "image", r.image());
        putIfSet(body, "profile", r.profile());
        if (r.fast() != null) {
            body.put("fast", r.fast());
        }
        if (r.vcpus() != null) {
            body.put("vcpus", r.vcpus());
        }
        if (r.memoryMb() != null) {
            body.put("memory_mb", r.memoryMb());
        }
        return body;
    }

    static ObjectNode execBody(ObjectMapper mapper, ExecRequest r) {
        ObjectNode body = mapper.createObjectNode();
        r.command().forEach(body.putArray("command")::add);
        if (!r.env().isEmpty()) {
            ObjectNode env = body.putObject("env");
            r.env().forEach(env::put);
        }
        putIfSet(body, "workdir", r.workdir());
        if (r.timeout() != null) {
            body.put("timeout_ms", r.timeout().toMillis());
        }
        putIfSet(body, "stdin", r.stdin());
        return body;
    }

    static ObjectNode createBody(ObjectMapper mapper, String name, SandboxSpec spec) {
        ObjectNode body = mapper.createObjectNode();
        body.put("name", name);
        putIfSet(body, "image", spec.image());
        if (spec.vcpus() != null) {
            body.put("vcpus", spec.vcpus());
        }
        if (spec.memoryMb() != null) {
            body.put("memory_mb", spec.memoryMb());
        }
        putIfSet(body, "profile", spec.profile());
        return body;
    }

    // ---- responses

    static ExecResult execResult(JsonNode d) {
        requireObject(d, "command result");
        String output = text(d, "output");
        String stdout = text(d, "stdout");
        return new ExecResult(d.path("exit_code").asInt(0),
                // A server that only sends the seed's "output" still gives a usable stdout.
                stdout == null ? output : stdout,
                text(d, "stderr"), output,
                d.has("duration_ms") ? Duration.ofMillis(d.get("duration_ms").asLong()) : null,
                d.path("timed_out").asBoolean(false), d.path("truncated").asBoolean(false));
    }

    static SandboxInfo sandboxInfo(JsonNode d) {
        requireObject(d, "sandbox");
        return new SandboxInfo(text(d, "name"), text(d, "status"), text(d, "backend"), text(d, "image"),
                intOrNull(d, "vcpus"), intOrNull(d, "memory_mb"), instant(d, "created_at"), text(d, "profile"));
    }

    static List<SandboxInfo> sandboxList(JsonNode d) {
        List<SandboxInfo> out = new ArrayList<>();
        requireArray(d, "sandbox list").forEach(n -> out.add(sandboxInfo(n)));
        return out;
    }

    static List<BatchResult> batchResults(JsonNode d) {
        JsonNode results = d.isArray() ? d : d.path("results");
        List<BatchResult> out = new ArrayList<>();
        requireArray(results, "batch results").forEach(n -> {
            String error = text(n, "error");
            out.add(error != null ? new BatchResult(null, error) : new BatchResult(execResult(n), null));
        });
        return out;
    }

    static List<AuditEntry> auditEntries(ObjectMapper mapper, JsonNode d) {
        List<AuditEntry> out = new ArrayList<>();
        requireArray(d, "audit log").forEach(n -> {
            Map<String, Object> details = new LinkedHashMap<>(mapper.convertValue(n, MAP));
            details.remove("timestamp");
            details.remove("event");
            details.remove("sandbox");
            out.add(new AuditEntry(instant(n, "timestamp"), text(n, "event"), text(n, "sandbox"), details));
        });
        return out;
    }

    static Map<String, Object> map(ObjectMapper mapper, JsonNode d) {
        requireObject(d, "object");
        return mapper.convertValue(d, MAP);
    }

    // ---- helpers

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Integer intOrNull(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asInt();
    }

    private static Instant instant(JsonNode node, String field) {
        String v = text(node, field);
        try {
            return v == null ? null : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw Errors.protocol("bad timestamp in '" + field + "': " + v, e);
        }
    }

    private static void putIfSet(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    private static void requireObject(JsonNode d, String what) {
        if (d == null || !d.isObject()) {
            throw Errors.protocol("expected a JSON object for the " + what + ", got: " + d, null);
        }
    }

    private static JsonNode requireArray(JsonNode d, String what) {
        if (d == null || !d.isArray()) {
            throw Errors.protocol("expected a JSON array for the " + what + ", got: " + d, null);
        }
        return d;
    }
}
