package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.client.generated.ApiClient;
import dev.agentkernel.client.generated.model.BatchItemResult;
import dev.agentkernel.client.generated.model.CreateSandboxRequest;
import dev.agentkernel.client.generated.model.Profile;
import dev.agentkernel.client.generated.model.RunResult;
import dev.agentkernel.client.generated.model.Sandbox;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Objects;

/**
 * Converts between the client's public records and the models generated from the server's OpenAPI document
 * ({@code dev.agentkernel.client.generated.model}). The generated models carry the wire format (snake_case
 * names, types, enums); a change of the document that breaks a field breaks this class at compile time.
 * The public API never exposes generated types, so regenerating cannot break callers.
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
                .timeoutMs(r.timeout() == null ? null : r.timeout().toMillis())
                .stdin(r.stdin());
    }

    static dev.agentkernel.client.generated.model.ExecRequest execBody(ExecRequest r) {
        return new dev.agentkernel.client.generated.model.ExecRequest()
                .command(r.command())
                .env(r.env().isEmpty() ? null : r.env())
                .workdir(r.workdir())
                .timeoutMs(r.timeout() == null ? null : r.timeout().toMillis())
                .stdin(r.stdin())
                .sudo(null); // the generated default (false) would be sent otherwise
    }

    static CreateSandboxRequest createBody(String name, SandboxSpec spec) {
        return new CreateSandboxRequest()
                .name(name)
                .image(spec.image())
                .vcpus(spec.vcpus())
                .memoryMb(spec.memoryMb())
                .profile(profile(spec.profile()))
                .env(spec.env().isEmpty() ? null : spec.env());
    }

    private static Profile profile(String value) {
        if (value == null) {
            return null;
        }
        return Arrays.stream(Profile.values())
                .filter(p -> p != Profile.UNKNOWN_DEFAULT_OPEN_API && p.getValue().equals(value))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown profile '" + value
                        + "': use permissive, moderate or restrictive"));
    }

    // ---- responses

    static ExecResult execResult(dev.agentkernel.client.generated.model.ExecResult d) {
        require(d, "command result");
        return result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(), d.getDurationMs(),
                d.getTimedOut(), d.getTruncated());
    }

    static ExecResult runResult(RunResult d) {
        require(d, "run result");
        return result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(), d.getDurationMs(),
                d.getTimedOut(), d.getTruncated());
    }

    static BatchResult batchItem(BatchItemResult d) {
        require(d, "batch item");
        if (d.getError() != null) {
            return new BatchResult(null, d.getError());
        }
        return new BatchResult(result(d.getExitCode(), d.getStdout(), d.getStderr(), d.getOutput(), d.getDurationMs(),
                d.getTimedOut(), d.getTruncated()), null);
    }

    static SandboxInfo sandbox(Sandbox d) {
        require(d, "sandbox");
        return new SandboxInfo(d.getName(), enumValue(d.getStatus() == null ? null : d.getStatus().getValue(),
                d.getStatus()), d.getBackend(), d.getImage(), d.getVcpus(), d.getMemoryMb(), instant(d.getCreatedAt()),
                d.getProfile() == null ? null : enumValue(d.getProfile().getValue(), d.getProfile()));
    }

    static AuditEntry audit(dev.agentkernel.client.generated.model.AuditEvent d) {
        require(d, "audit event");
        return new AuditEntry(instant(d.getTimestamp()), d.getEvent(), d.getSandbox(), d.getDetails());
    }

    static PoolStats pool(dev.agentkernel.client.generated.model.PoolStats d) {
        require(d, "pool figures");
        return new PoolStats(isTrue(d.getEnabled()), orZero(d.getTargetPerKey()), orZero(d.getMax()),
                orZero(d.getSize()), orZero(d.getHits()), orZero(d.getMisses()), orZero(d.getCreations()),
                orZero(d.getFailures()), orZero(d.getClaimLatencyP50Ms()), orZero(d.getClaimLatencyP99Ms()));
    }

    static Health health(dev.agentkernel.client.generated.model.Health d) {
        require(d, "health");
        return new Health(d.getStatus() == null ? null : enumValue(d.getStatus().getValue(), d.getStatus()),
                d.getBackend(), d.getVersion(), d.getMessage());
    }

    // ---- helpers

    /** The three generated result shapes (run, exec, batch item) share these fields but no type. */
    private static ExecResult result(Integer exitCode, String stdout, String stderr, String output, Long durationMs,
                                     Boolean timedOut, Boolean truncated) {
        // A server that sends only the seed's "output" (no stdout/stderr split) still gives a usable stdout.
        return new ExecResult(orZero(exitCode), stdout == null && stderr == null ? output : stdout, stderr, output,
                millis(durationMs), isTrue(timedOut), isTrue(truncated));
    }

    private static void require(Object value, String what) {
        if (value == null) {
            throw Errors.protocol("the server's answer has no " + what, null);
        }
    }

    /** A value this client's generated enums do not know comes back as "unknown". */
    private static String enumValue(String value, Enum<?> constant) {
        return constant != null && constant.name().equals("UNKNOWN_DEFAULT_OPEN_API") ? "unknown" : value;
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    private static Duration millis(Long ms) {
        return ms == null ? null : Duration.ofMillis(ms);
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
