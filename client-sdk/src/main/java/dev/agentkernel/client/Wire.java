package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.client.generated.ApiClient;
import dev.agentkernel.client.generated.model.BatchItemResult;
import dev.agentkernel.client.generated.model.CreateSandboxRequest;
import dev.agentkernel.client.generated.model.PoolKeyStats;
import dev.agentkernel.client.generated.model.Profile;
import dev.agentkernel.client.generated.model.Sandbox;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Converts between the api values ({@code dev.agentkernel.api}) and the models generated from the server's OpenAPI
 * document ({@code dev.agentkernel.client.generated.model}). The generated models carry the wire format (snake_case
 * names, types, enums); a change of the document that breaks a field breaks this class at compile time. The public
 * API never exposes generated types, so regenerating cannot break callers.
 */
final class Wire {
    private Wire() {
    }

    /** The generated client's mapper settings (JSR-310, lenient reading, nulls left out of requests). */
    static ObjectMapper newMapper() {
        return ApiClient.createDefaultObjectMapper();
    }

    // ---- requests

    static dev.agentkernel.client.generated.model.RunRequest runBody(RunRequest r) {
        return new dev.agentkernel.client.generated.model.RunRequest()
                .command(r.command())
                .image(r.image())
                .profile(profile(r.profile()))
                .fast(r.fast())
                .vcpus(r.vcpus())
                .memoryMb(r.memoryMb())
                .env(r.env().isEmpty() ? null : r.env())
                .workdir(r.workdir())
                .timeoutMs(millis(r.timeout()))
                .stdin(text(r.stdin()));
    }

    static dev.agentkernel.client.generated.model.ExecRequest execBody(ExecRequest r) {
        return new dev.agentkernel.client.generated.model.ExecRequest()
                .command(r.argv())
                .env(r.env().isEmpty() ? null : r.env())
                .workdir(r.workdir())
                .timeoutMs(millis(r.timeout()))
                .stdin(text(r.stdin()))
                .sudo(r.sudo() ? Boolean.TRUE : null); // the generated default (false) would be sent otherwise
    }

    /** Labels are not part of the HTTP API: refused rather than dropped. */
    static CreateSandboxRequest createBody(SandboxSpec spec) {
        if (!spec.labels().isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("Invalid labels: the HTTP API does not carry "
                    + "sandbox labels");
        }
        return new CreateSandboxRequest()
                .name(spec.name())
                .image(spec.image())
                .vcpus(spec.vcpus())
                .memoryMb(spec.memoryMb())
                .profile(profile(spec.profile()))
                .env(spec.env().isEmpty() ? null : spec.env())
                .ttl(spec.ttl() == null ? null : Long.toString(spec.ttl().toSeconds()))
                // The generated model starts lists empty; the seed's body has none of them.
                .volumes(null).secretFiles(null).secrets(null).ports(null);
    }

    /** The create body with the upstream create options; empty lists are left out. */
    static CreateSandboxRequest createBody(SandboxSpec spec, CreateOptions o) {
        CreateSandboxRequest r = createBody(spec);
        if (!o.volumes().isEmpty()) {
            r.volumes(o.volumes().stream().map(VolumeMount::toString).toList());
        }
        if (!o.secretFiles().isEmpty()) {
            r.secretFiles(o.secretFiles());
        }
        if (!o.secrets().isEmpty()) {
            r.secrets(o.secrets());
        }
        if (!o.ports().isEmpty()) {
            r.ports(o.ports());
        }
        return r.sourceUrl(o.sourceUrl()).sourceRef(o.sourceRef());
    }

    private static Profile profile(SecurityProfile p) {
        return p == null ? null : Profile.fromValue(p.wireName());
    }

    // ---- responses

    static ExecResult execResult(dev.agentkernel.client.generated.model.ExecResult d) {
        require(d, "command result");
        return result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(), d.getDurationMs(),
                d.getTimedOut(), d.getTruncated());
    }

    static RunResult runResult(dev.agentkernel.client.generated.model.RunResult d) {
        require(d, "run result");
        return new RunResult(orUnknown(d.getSandbox()), d.getImage(), d.getImageNote(), isTrue(d.getPooled()),
                result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(), d.getDurationMs(),
                        d.getTimedOut(), d.getTruncated()));
    }

    /** A failed item keeps its code; a server too old to send one gives {@code INTERNAL}. */
    static BatchOutcome batchItem(BatchItemResult d) {
        require(d, "batch item");
        if (d.getError() != null) {
            ErrorCode code = d.getCode() == null ? ErrorCode.INTERNAL
                    : ErrorCode.fromWire(d.getCode().getValue()).orElse(ErrorCode.INTERNAL);
            return BatchOutcome.failed(AgentKernelException.of(code, d.getError()));
        }
        return BatchOutcome.ok(new RunResult(orUnknown(d.getSandbox()), d.getImage(), d.getImageNote(),
                isTrue(d.getPooled()), result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(),
                d.getDurationMs(), d.getTimedOut(), d.getTruncated())));
    }

    static SandboxInfo sandbox(Sandbox d) {
        require(d, "sandbox");
        require(d.getName(), "sandbox name");
        return new SandboxInfo(d.getName(), status(d.getStatus() == null ? null : d.getStatus().getValue()),
                Objects.requireNonNullElse(d.getBackend(), "unknown"), d.getImage(), d.getVcpus(), d.getMemoryMb(),
                instant(d.getCreatedAt()), d.getProfile() == null ? null : knownProfile(d.getProfile().getValue()),
                d.getKind() == null ? null : kind(d.getKind().getValue()), null, null, details(d),
                d.getUuid() == null ? null : d.getUuid().toString(), instant(d.getExpiresAt()));
    }

    static dev.agentkernel.api.DetachedCommand detached(dev.agentkernel.client.generated.model.DetachedCommand d) {
        require(d, "detached command");
        require(d.getStatus(), "detached command status");
        return new dev.agentkernel.api.DetachedCommand(d.getId(), d.getSandbox(), d.getCommand(),
                d.getPid() == null ? 0 : d.getPid(),
                dev.agentkernel.api.DetachedCommand.Status.valueOf(d.getStatus().getValue().toUpperCase(Locale.ROOT)),
                d.getExitCode(), instant(d.getStartedAt()), Boolean.TRUE.equals(d.getTruncated()));
    }

    static SnapshotInfo snapshot(dev.agentkernel.client.generated.model.Snapshot d) {
        require(d, "snapshot");
        require(d.getName(), "snapshot name");
        require(d.getCreatedAt(), "snapshot created_at");
        return new SnapshotInfo(d.getName(), orUnknown(d.getSandbox()), Objects.requireNonNullElse(d.getImageTag(), ""),
                Objects.requireNonNullElse(d.getBackend(), "unknown"), d.getBaseImage(), d.getVcpus(), d.getMemoryMb(),
                d.getProfile() == null ? null : knownProfile(d.getProfile().getValue()), instant(d.getCreatedAt()));
    }

    static VolumeInfo volume(dev.agentkernel.client.generated.model.Volume d) {
        require(d, "volume");
        require(d.getName(), "volume name");
        return new VolumeInfo(d.getName(), Objects.requireNonNullElse(d.getBackend(), "unknown"), instant(d.getCreatedAt()));
    }

    /** The backend's details; an older server sent Docker's {@code exec_via} alone. */
    private static Map<String, String> details(Sandbox d) {
        Map<String, String> details = new java.util.TreeMap<>(d.getDetails() == null ? Map.of() : d.getDetails());
        if (d.getExecVia() != null) {
            details.putIfAbsent("exec_via", d.getExecVia());
        }
        return details;
    }

    static AuditEvent audit(dev.agentkernel.client.generated.model.AuditEvent d) {
        require(d, "audit event");
        require(d.getTimestamp(), "audit timestamp");
        return new AuditEvent(instant(d.getTimestamp()), d.getEvent(), d.getSandbox(), d.getDetails());
    }

    static PoolStats pool(dev.agentkernel.client.generated.model.PoolStats d) {
        require(d, "pool figures");
        List<PoolStats.KeyStats> keys = d.getKeys() == null ? List.of() : d.getKeys().stream().map(Wire::poolKey).toList();
        return new PoolStats(isTrue(d.getEnabled()), orZero(d.getTargetPerKey()), orZero(d.getMax()),
                orZero(d.getSize()), orZero(d.getHits()), orZero(d.getMisses()), orZero(d.getCreations()),
                orZero(d.getFailures()), orZero(d.getClaimLatencyP50Ms()), orZero(d.getClaimLatencyP99Ms()), keys);
    }

    private static PoolStats.KeyStats poolKey(PoolKeyStats k) {
        return new PoolStats.KeyStats(k.getImage(), k.getProfile(), orZero(k.getVcpus()), orZero(k.getMemoryMb()),
                orZero(k.getSize()), orZero(k.getTarget()), orZero(k.getHits()), orZero(k.getMisses()));
    }

    /** {@code ok} is available; anything else is down with the server's reason. The version goes into details. */
    static BackendHealth health(dev.agentkernel.client.generated.model.Health d) {
        require(d, "health");
        String backend = Objects.requireNonNullElse(d.getBackend(), "unknown");
        boolean ok = d.getStatus() != null && "ok".equals(d.getStatus().getValue());
        if (ok) {
            return BackendHealth.up(backend, d.getVersion() == null ? Map.of() : Map.of("version", d.getVersion()));
        }
        return new BackendHealth(false, backend, Objects.requireNonNullElse(d.getMessage(), "unavailable"),
                d.getVersion() == null ? Map.of() : Map.of("version", d.getVersion()));
    }

    // ---- ports: read from the JSON tree (see AgentKernelClient's port section)

    /** The {@code data} of {@code {"success":true,"data":{"port":..,"exposed_at":..}}}. */
    static ExposedPort exposedPort(JsonNode answer) {
        return exposedPortOf(data(answer, "exposed port"));
    }

    /** The {@code data} array of the port list answer. */
    static List<ExposedPort> exposedPorts(JsonNode answer) {
        JsonNode data = data(answer, "exposed port list");
        if (!data.isArray()) {
            throw Errors.protocol("the exposed port list is not an array", null);
        }
        List<ExposedPort> ports = new java.util.ArrayList<>();
        data.forEach(p -> ports.add(exposedPortOf(p)));
        return List.copyOf(ports);
    }

    /** {@code {"port":8000,"url":"http://...","expires_at":"<ISO>"}} in the envelope. */
    static PortUrl portUrl(JsonNode answer) {
        JsonNode d = data(answer, "port URL");
        try {
            return new PortUrl(portOf(d), java.net.URI.create(field(d, "url").asText()),
                    OffsetDateTime.parse(field(d, "expires_at").asText()).toInstant());
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw Errors.protocol("the port URL answer does not fit: " + d, e);
        }
    }

    private static ExposedPort exposedPortOf(JsonNode d) {
        try {
            return new ExposedPort(portOf(d), OffsetDateTime.parse(field(d, "exposed_at").asText()).toInstant());
        } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw Errors.protocol("the exposed port answer does not fit: " + d, e);
        }
    }

    private static int portOf(JsonNode d) {
        JsonNode port = field(d, "port");
        if (!port.canConvertToInt()) {
            throw Errors.protocol("the port is not a number: " + port, null);
        }
        return port.intValue();
    }

    private static JsonNode data(JsonNode answer, String what) {
        require(answer == null ? null : answer.get("data"), what);
        return answer.get("data");
    }

    private static JsonNode field(JsonNode d, String name) {
        JsonNode v = d == null ? null : d.get(name);
        require(v == null || v.isNull() ? null : v, name);
        return v;
    }

    // ---- helpers

    /** The three generated result shapes (run, exec, batch item) share these fields but no type. */
    private static ExecResult result(Integer exitCode, String stdout, String stderr, String output, Long durationMs,
                                     Boolean timedOut, Boolean truncated) {
        // A server that sends only the seed's "output" (no stdout/stderr split) still gives a usable stdout.
        return new ExecResult(orZero(exitCode), stdout == null && stderr == null ? output : stdout, stderr, output,
                durationMs == null ? null : Duration.ofMillis(durationMs), isTrue(timedOut), isTrue(truncated));
    }

    static SandboxStatus status(String wire) {
        if (wire != null) {
            for (SandboxStatus s : SandboxStatus.values()) {
                if (s.wireName().equals(wire)) {
                    return s;
                }
            }
        }
        return SandboxStatus.UNKNOWN; // a newer server's state, or none sent
    }

    private static SecurityProfile knownProfile(String wire) {
        return Arrays.stream(SecurityProfile.values()).filter(p -> p.wireName().equals(wire)).findFirst().orElse(null);
    }

    private static SandboxKind kind(String wire) {
        try {
            return SandboxKind.fromWire(wire.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            return null;
        }
    }

    private static void require(Object value, String what) {
        if (value == null) {
            throw Errors.protocol("the server's answer has no " + what, null);
        }
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static String orUnknown(String sandbox) {
        return sandbox == null ? "unknown" : sandbox;
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static boolean isTrue(Boolean b) {
        return Boolean.TRUE.equals(b);
    }

    private static int orZero(Integer i) {
        return Objects.requireNonNullElse(i, 0);
    }

    private static long orZero(Long l) {
        return Objects.requireNonNullElse(l, 0L);
    }

    private static double orZero(Double d) {
        return Objects.requireNonNullElse(d, 0.0);
    }
}
