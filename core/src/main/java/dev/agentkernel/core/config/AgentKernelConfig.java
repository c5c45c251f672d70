package dev.agentkernel.core.config;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The whole configuration: {@code agentkernel.toml} sections plus environment overrides ({@link ConfigLoader}).
 *
 * @param backends {@code [backends.ID]} sections: settings of one backend each (e.g. {@code [backends.docker]
 *                 host = "unix:///var/run/docker.sock"}), handed to that backend when it is opened
 */
public record AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                                Audit audit, Map<String, String> images, Map<String, Map<String, String>> backends) {
    public AgentKernelConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(audit, "audit");
        images = images == null ? Map.of() : Map.copyOf(images);
        Map<String, Map<String, String>> copy = new TreeMap<>();
        if (backends != null) {
            backends.forEach((id, settings) -> copy.put(id, Map.copyOf(settings)));
        }
        backends = Collections.unmodifiableMap(copy);
    }

    /** Without backend settings. */
    public AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits, Audit audit,
                             Map<String, String> images) {
        this(server, sandbox, resources, pool, limits, audit, images, Map.of());
    }

    /**
     * Every {@code [backends.ID]} setting as {@code ID.KEY → value} (e.g. {@code docker.host}): the properties a
     * backend is opened with ({@link dev.agentkernel.core.BackendSettings}). Each backend reads its own keys.
     */
    public Map<String, String> backendProperties() {
        Map<String, String> out = new TreeMap<>();
        backends.forEach((id, settings) -> settings.forEach((key, value) -> out.put(id + "." + key, value)));
        return Map.copyOf(out);
    }

    /** {@code [server]}. */
    public record Server(String host, int port, List<String> allowedHosts, List<String> corsOrigins, long maxBodyBytes,
                         Duration idleTimeout, Duration shutdownGrace) {
        /** Upper bound of {@code max_body_bytes}. */
        public static final long MAX_BODY_BYTES = 1L << 30;
        /** Upper bound of {@code idle_timeout_ms}. */
        public static final Duration LONGEST_IDLE_TIMEOUT = Duration.ofHours(24);
        /** Upper bound of {@code shutdown_grace_ms}. */
        public static final Duration LONGEST_SHUTDOWN_GRACE = Duration.ofHours(1);
    }

    /** {@code [sandbox]}: the fallback image, the default profile and the backend id (null: auto). */
    public record Sandbox(String image, SecurityProfile profile, String backend) {
    }

    /** {@code [resources]}: defaults for sandboxes that do not say. */
    public record Resources(int vcpus, int memoryMb) {
    }

    /** {@code [pool]}: warm sandboxes per key, and overall. */
    public record Pool(int size, int max) {
    }

    /**
     * {@code [limits]}. A command's own timeout may not exceed {@code maxTimeout} (refused with
     * {@code INVALID_REQUEST}); the default {@code timeout} must not either.
     */
    public record Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                         int maxExecsPerSandbox, Duration maxTimeout) {
        /** Commands at once in one named sandbox when the configuration does not say. */
        public static final int DEFAULT_MAX_EXECS_PER_SANDBOX = 8;
        /** The longest timeout a command may ask for when the configuration does not say. */
        public static final Duration DEFAULT_MAX_TIMEOUT = Duration.ofHours(24);
        /** Upper bound of {@code max_timeout_ms}. */
        public static final Duration LONGEST_MAX_TIMEOUT = Duration.ofDays(30);
        /** Upper bound of {@code max_output_bytes} and {@code max_file_bytes}. */
        public static final long MAX_BYTES = 1L << 30;
        /** Upper bound of {@code max_concurrent_runs} and {@code max_execs_per_sandbox}. */
        public static final int MAX_COMMANDS = 100_000;

        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            maxTimeout = Objects.requireNonNullElse(maxTimeout, DEFAULT_MAX_TIMEOUT);
            if (timeout.compareTo(maxTimeout) > 0) {
                throw new AgentKernelException.InvalidRequestException(
                        "Invalid config: limits.timeout_ms must not be above limits.max_timeout_ms");
            }
        }

        public Limits withMaxTimeout(Duration newMaxTimeout) {
            return new Limits(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, newMaxTimeout);
        }

        /** Kept for callers written before {@code max_timeout_ms}: that limit gets its default. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                      int maxExecsPerSandbox) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, DEFAULT_MAX_TIMEOUT);
        }

        /** Kept for callers written before {@code max_execs_per_sandbox}: that limit gets its default. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, DEFAULT_MAX_EXECS_PER_SANDBOX);
        }
    }

    /** {@code [audit]}. */
    public record Audit(Path path, boolean enabled) {
    }

    public AgentKernelConfig withServer(Server newServer) {
        return new AgentKernelConfig(newServer, sandbox, resources, pool, limits, audit, images, backends);
    }

    public AgentKernelConfig withSandbox(Sandbox newSandbox) {
        return new AgentKernelConfig(server, newSandbox, resources, pool, limits, audit, images, backends);
    }

    public AgentKernelConfig withResources(Resources newResources) {
        return new AgentKernelConfig(server, sandbox, newResources, pool, limits, audit, images, backends);
    }

    public AgentKernelConfig withPool(Pool newPool) {
        return new AgentKernelConfig(server, sandbox, resources, newPool, limits, audit, images, backends);
    }

    public AgentKernelConfig withLimits(Limits newLimits) {
        return new AgentKernelConfig(server, sandbox, resources, pool, newLimits, audit, images, backends);
    }

    public AgentKernelConfig withAudit(Audit newAudit) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, newAudit, images, backends);
    }

    public AgentKernelConfig withImages(Map<String, String> newImages) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, newImages, backends);
    }

    public AgentKernelConfig withBackends(Map<String, Map<String, String>> newBackends) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, images, newBackends);
    }

    /** Defaults for tests and embedders: no warm pool, audit log at {@code auditPath}. */
    public static AgentKernelConfig forTests(Path auditPath) {
        AgentKernelConfig d = defaults();
        return d.withPool(new Pool(0, d.pool().max())).withAudit(new Audit(auditPath, true));
    }

    public static AgentKernelConfig defaults() {
        return new AgentKernelConfig(
                new Server("127.0.0.1", 18888, List.of(), List.of(), 16L * 1024 * 1024, Duration.ofSeconds(60),
                        Duration.ofSeconds(10)),
                new Sandbox("agentkernel/busybox:local", SecurityProfile.DEFAULT, null),
                new Resources(1, 512),
                new Pool(2, 16),
                new Limits(Duration.ofMinutes(5), 10L * 1024 * 1024, 64L * 1024 * 1024, 32,
                        Limits.DEFAULT_MAX_EXECS_PER_SANDBOX, Limits.DEFAULT_MAX_TIMEOUT),
                new Audit(Path.of(System.getProperty("user.home"), ".agentkernel", "audit.jsonl"), true),
                Map.of());
    }
}
