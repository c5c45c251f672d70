package dev.agentkernel.server;

import dev.agentkernel.api.Validation;
import dev.agentkernel.api.AgentKernelException.InvalidRequestException;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Turns JSON request bodies and query parameters into the core's validated value types. Fields a request leaves
 * out stay null: the kernel applies the configured defaults, as it does for every other front end.
 */
final class Requests {
    private Requests() {
    }

    /** The body of {@code /run}, {@code /run/stream} and each batch item. */
    static RunRequest run(JsonRequest body) {
        List<String> command = body.command("command");
        String image = body.string("image");
        String profile = body.string("profile");
        boolean fast = body.bool("fast", true);
        Integer vcpus = body.integer("vcpus");
        Integer memoryMb = body.integer("memory_mb");
        Map<String, String> env = body.env("env");
        String workdir = body.string("workdir");
        Duration timeout = timeout(body);
        byte[] stdin = stdin(body);
        return new RunRequest(command, image, profile == null ? null : SecurityProfile.fromWire(profile), fast, vcpus,
                memoryMb, env, workdir, timeout, stdin);
    }

    /** The body of {@code /sandboxes/{name}/exec} and {@code /exec/detach}. */
    static ExecRequest exec(JsonRequest body) {
        List<String> command = body.command("command");
        Map<String, String> env = body.env("env");
        String workdir = body.string("workdir");
        Duration timeout = timeout(body);
        byte[] stdin = stdin(body);
        return new ExecRequest(command, env, workdir, timeout, stdin, 0, body.bool("sudo", false));
    }

    static List<RunRequest> batch(JsonRequest body) {
        return body.objects("commands").stream().map(Requests::run).toList();
    }

    /** The body of {@code POST /sandboxes}. */
    static SandboxSpec create(JsonRequest body) {
        String name = body.requiredString("name");
        String image = body.string("image");
        Integer vcpus = body.integer("vcpus");
        Integer memoryMb = body.integer("memory_mb");
        String profile = body.string("profile");
        Map<String, String> env = body.env("env");
        String ttl = body.durationText("ttl");
        return new SandboxSpec(name, image, vcpus, memoryMb, profile == null ? null : SecurityProfile.fromWire(profile),
                env, Map.of(), SandboxKind.NAMED, ttl == null ? null : Validation.duration("ttl", ttl));
    }

    /** {@code {"by":"30m"}} of {@code /extend}; missing or empty is upstream's one hour. */
    static Duration extendBy(JsonRequest body) {
        String by = body.durationText("by");
        return Validation.duration("by", by == null || by.isEmpty() ? "1h" : by);
    }

    /** {@code {"files":{"/abs/path":"utf-8 content", ...}}} of the bulk write. */
    static Map<String, byte[]> files(JsonRequest body) {
        Map<String, String> files = body.stringMap("files");
        if (files == null || files.isEmpty()) {
            throw new InvalidRequestException("Invalid files: an object of at least one path and its content is required");
        }
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        files.forEach((path, content) -> {
            String normal;
            try {
                normal = Validation.sandboxPath(path);
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("Invalid files: " + e.getMessage());
            }
            if (out.put(normal, content.getBytes(StandardCharsets.UTF_8)) != null) {
                throw new InvalidRequestException("Invalid files: the path " + normal + " is given twice");
            }
        });
        return out;
    }

    /** {@code ?stream=stdout|stderr} of the detached logs (default stdout). */
    static dev.agentkernel.api.DetachedCommand.Stream stream(String stream) {
        if (stream == null || stream.isEmpty() || stream.equals("stdout")) {
            return dev.agentkernel.api.DetachedCommand.Stream.STDOUT;
        }
        if (stream.equals("stderr")) {
            return dev.agentkernel.api.DetachedCommand.Stream.STDERR;
        }
        throw new InvalidRequestException("Invalid stream '" + Validation.printable(stream)
                + "': must be stdout or stderr");
    }

    /**
     * The upstream create options of {@code POST /sandboxes}: {@code volumes} ({@code "name:/path[:ro]"}),
     * {@code secret_files}, {@code source_url} + {@code source_ref}, {@code secrets}; and {@code ports} (exposed
     * after start); null lists are empty.
     */
    static CreateOptions createOptions(JsonRequest body) {
        List<VolumeMount> volumes = body.strings("volumes").stream().map(VolumeMount::parse).toList();
        return new CreateOptions(volumes, body.strings("secret_files"), body.string("source_url"),
                body.string("source_ref"), body.strings("secrets"), body.integers("ports"));
    }

    /** The bytes of a file write: {@code content} as UTF-8 text, or base64 when {@code encoding} says so. */
    static byte[] fileContent(JsonRequest body) {
        String content = body.requiredString("content");
        String encoding = body.string("encoding");
        if (encoding == null || encoding.equals("utf8") || encoding.equals("utf-8")) {
            return content.getBytes(StandardCharsets.UTF_8);
        }
        if (encoding.equals("base64")) {
            try {
                // Line breaks are tolerated (wrapped base64); any other character outside the alphabet is an error.
                return Base64.getDecoder().decode(content.replaceAll("[\\r\\n]", ""));
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("Invalid content: not valid base64");
            }
        }
        throw new InvalidRequestException("Invalid encoding '" + dev.agentkernel.api.Validation.printable(encoding)
                + "': must be utf8 or base64");
    }

    /** {@code ?since=<ISO-8601>&limit=<n>}. */
    static LogQuery logQuery(String since, String limit) {
        Instant from = null;
        if (since != null && !since.isEmpty()) {
            try {
                from = Instant.parse(since);
            } catch (DateTimeParseException e) {
                throw new InvalidRequestException("Invalid since: must be an ISO-8601 instant such as 2026-01-30T12:00:00Z");
            }
        }
        int max = 0;
        if (limit != null && !limit.isEmpty()) {
            try {
                max = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("Invalid limit: must be an integer between 0 and " + LogQuery.MAX_LIMIT);
            }
        }
        return new LogQuery(from, max);
    }

    /** Its bounds are the value types' (positive) and the kernel's ({@code limits.max_timeout_ms}). */
    private static Duration timeout(JsonRequest body) {
        Long ms = body.longInteger("timeout_ms");
        return ms == null ? null : Duration.ofMillis(ms);
    }

    private static byte[] stdin(JsonRequest body) {
        String s = body.string("stdin");
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
