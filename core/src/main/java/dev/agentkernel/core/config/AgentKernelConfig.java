package dev.agentkernel.core.config;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration: {@code agentkernel.toml} sections plus environment overrides, as {@link ConfigLoader}
 * reads them (every key validated and bounded there, errors naming the key).
 */
public record AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                                Audit audit, Map<String, String> images, Map<String, String> backendProperties,
                                Pty pty, Ports ports) {
    public AgentKernelConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(audit, "audit");
        images = images == null ? Map.of() : Map.copyOf(images);
        backendProperties = backendProperties == null ? Map.of() : Map.copyOf(backendProperties);
        pty = Objects.requireNonNullElse(pty, Pty.DEFAULTS);
        ports = Objects.requireNonNullElse(ports, Ports.DEFAULTS);
    }

    /** Without {@code [ports]} (callers written before it): its defaults. */
    public AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                             Audit audit, Map<String, String> images, Map<String, String> backendProperties, Pty pty) {
        this(server, sandbox, resources, pool, limits, audit, images, backendProperties, pty, null);
    }

    /** Without {@code [pty]} (callers written before it): its defaults. */
    public AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                             Audit audit, Map<String, String> images, Map<String, String> backendProperties) {
        this(server, sandbox, resources, pool, limits, audit, images, backendProperties, null);
    }

    /** Without backend sections (callers written before them). */
    public AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                             Audit audit, Map<String, String> images) {
        this(server, sandbox, resources, pool, limits, audit, images, Map.of());
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

    /**
     * {@code [sandbox]}: the fallback image, the default profile, the backend id (null: auto) and the registries
     * images may be pulled from ({@code ["*"]} any, empty none; null when not configured, which each command decides:
     * {@code serve} and the MCP server pull from none, one-shot CLI commands from any), the default TTL of new
     * sandboxes (null: none; else 1 s to {@link dev.agentkernel.api.Validation#MAX_TTL}, as a caller's own) and
     * whether {@code sudo} is allowed at all.
     */
    public record Sandbox(String image, SecurityProfile profile, String backend, List<String> pullRegistries,
                          Duration ttl, boolean allowSudo) {
        public Sandbox {
            pullRegistries = pullRegistries == null ? null : List.copyOf(pullRegistries);
            if (ttl != null) {
                // A zero or negative default would expire every new sandbox at once.
                dev.agentkernel.api.Validation.ttl("sandbox.ttl", ttl);
            }
        }

        public Sandbox(String image, SecurityProfile profile, String backend, List<String> pullRegistries) {
            this(image, profile, backend, pullRegistries, null, true);
        }

        public Sandbox(String image, SecurityProfile profile, String backend) {
            this(image, profile, backend, null);
        }
    }

    /** {@code [resources]}: defaults for sandboxes that do not say. */
    public record Resources(int vcpus, int memoryMb) {
    }

    /**
     * {@code [pool]}.
     *
     * @param size              warm sandboxes kept per key at least (0 disables the pool)
     * @param max               warm sandboxes over all keys at most
     * @param adaptive          whether a key's target follows its recent demand (runs within seconds, over the last
     *                          minutes) between {@code size} and {@code max}
     * @param createParallelism pool creations run in parallel at most while runs wait for members (the engine's best
     *                          parallelism); a refill nobody waits for runs one at a time
     */
    public record Pool(int size, int max, boolean adaptive, int createParallelism) {
        public static final int DEFAULT_CREATE_PARALLELISM = 4;

        public Pool {
            if (createParallelism < 1) {
                throw new IllegalArgumentException("createParallelism must be at least 1");
            }
        }

        /** A pool of a fixed size per key (not adaptive), with the default create parallelism. */
        public Pool(int size, int max) {
            this(size, max, false, DEFAULT_CREATE_PARALLELISM);
        }
    }

    /**
     * {@code [limits]}. A command's own timeout may not exceed {@code maxTimeout} (refused with
     * {@code INVALID_REQUEST}); the default {@code timeout} must not either.
     *
     * @param maxConcurrentRuns commands running at once; more wait in the admission queue
     * @param maxQueuedRuns     commands waiting at once; one more is refused at once ({@code BUSY})
     * @param queueTimeout      how long a command waits in the queue before it is refused ({@code BUSY})
     */
    public record Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                         int maxExecsPerSandbox, Duration maxTimeout, int maxQueuedRuns, Duration queueTimeout) {
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
        public static final int DEFAULT_MAX_QUEUED_RUNS = 1000;
        public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(60);

        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            maxTimeout = Objects.requireNonNullElse(maxTimeout, DEFAULT_MAX_TIMEOUT);
            if (timeout.compareTo(maxTimeout) > 0) {
                throw new AgentKernelException.InvalidRequestException(
                        "Invalid config: limits.timeout_ms must not be above limits.max_timeout_ms");
            }
            if (maxQueuedRuns < 0 || queueTimeout == null || queueTimeout.isNegative()) {
                throw new IllegalArgumentException("maxQueuedRuns and queueTimeout must not be negative");
            }
        }

        public Limits withMaxTimeout(Duration newMaxTimeout) {
            return new Limits(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, newMaxTimeout,
                    maxQueuedRuns, queueTimeout);
        }

        /** The admission queue's settings changed. */
        public Limits withQueue(int newMaxQueuedRuns, Duration newQueueTimeout) {
            return new Limits(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, maxTimeout,
                    newMaxQueuedRuns, newQueueTimeout);
        }

        /** Kept for callers written before the admission queue's settings: they get their defaults. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                      int maxExecsPerSandbox, Duration maxTimeout) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, maxTimeout,
                    DEFAULT_MAX_QUEUED_RUNS, DEFAULT_QUEUE_TIMEOUT);
        }

        /** Kept for callers written before {@code max_timeout_ms}: that limit gets its default. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                      int maxExecsPerSandbox, int maxQueuedRuns, Duration queueTimeout) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, DEFAULT_MAX_TIMEOUT,
                    maxQueuedRuns, queueTimeout);
        }

        /** Kept for callers written before {@code max_timeout_ms}: the later limits get their defaults. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                      int maxExecsPerSandbox) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, DEFAULT_MAX_TIMEOUT);
        }

        /** Kept for callers written before {@code max_execs_per_sandbox}: that limit gets its default. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, DEFAULT_MAX_EXECS_PER_SANDBOX);
        }
    }

    /**
     * {@code [pty]}: interactive terminals.
     *
     * @param maxSessionsPerSandbox terminals open at once in one sandbox; one more is refused ({@code BUSY})
     * @param idleTimeout           a terminal without input or output for this long is closed (its processes killed)
     */
    public record Pty(int maxSessionsPerSandbox, Duration idleTimeout) {
        public static final Pty DEFAULTS = new Pty(8, Duration.ofMinutes(30));
        /** Upper bound of {@code max_sessions_per_sandbox}. */
        public static final int MAX_SESSIONS = 1000;
        /** Upper bound of {@code idle_timeout_ms}. */
        public static final Duration LONGEST_IDLE_TIMEOUT = Duration.ofDays(7);

        public Pty {
            if (maxSessionsPerSandbox < 1 || idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new IllegalArgumentException("maxSessionsPerSandbox and idleTimeout must be positive");
            }
        }
    }

    public AgentKernelConfig withPty(Pty newPty) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, images, backendProperties, newPty, ports);
    }

    /**
     * {@code [ports]}: forwarding to TCP ports inside sandboxes.
     *
     * @param maxConnectionsPerSandbox connections open at once to one sandbox's ports; one more is {@code BUSY}
     * @param maxExposedPerSandbox     ports exposed at once in one sandbox; one more is {@code BUSY}
     * @param urlMaxTtl                the longest a signed browser URL may be valid
     * @param previewDomain            browser URLs are {@code http://PORT-NAME.DOMAIN:SERVERPORT/}; {@code localhost}
     *                                 (the default) works with no DNS, browsers resolve every {@code *.localhost}
     *                                 to loopback
     */
    public record Ports(int maxConnectionsPerSandbox, int maxExposedPerSandbox, Duration urlMaxTtl,
                        String previewDomain) {
        public static final Ports DEFAULTS = new Ports(32, 16, Duration.ofHours(24), "localhost");
        /** Upper bound of both counts. */
        public static final int MAX_COUNT = 4096;
        /** Upper bound of {@code url_max_ttl}. */
        public static final Duration LONGEST_URL_TTL = Duration.ofDays(7);

        public Ports {
            if (maxConnectionsPerSandbox < 1 || maxExposedPerSandbox < 1 || urlMaxTtl == null
                    || urlMaxTtl.isNegative() || urlMaxTtl.isZero() || previewDomain == null || previewDomain.isBlank()) {
                throw new IllegalArgumentException("ports limits must be positive and preview_domain non-empty");
            }
        }
    }

    public AgentKernelConfig withPorts(Ports newPorts) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, images, backendProperties, pty,
                newPorts);
    }

    /** {@code [audit]}. */
    public record Audit(Path path, boolean enabled) {
    }

    public AgentKernelConfig withServer(Server newServer) {
        return new AgentKernelConfig(newServer, sandbox, resources, pool, limits, audit, images, backendProperties, pty, ports);
    }

    public AgentKernelConfig withSandbox(Sandbox newSandbox) {
        return new AgentKernelConfig(server, newSandbox, resources, pool, limits, audit, images, backendProperties, pty, ports);
    }

    public AgentKernelConfig withResources(Resources newResources) {
        return new AgentKernelConfig(server, sandbox, newResources, pool, limits, audit, images, backendProperties, pty, ports);
    }

    public AgentKernelConfig withPool(Pool newPool) {
        return new AgentKernelConfig(server, sandbox, resources, newPool, limits, audit, images, backendProperties, pty, ports);
    }

    public AgentKernelConfig withLimits(Limits newLimits) {
        return new AgentKernelConfig(server, sandbox, resources, pool, newLimits, audit, images, backendProperties, pty, ports);
    }

    public AgentKernelConfig withAudit(Audit newAudit) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, newAudit, images, backendProperties, pty, ports);
    }

    /**
     * The backend sections ({@code [kubernetes]}) as the flat properties a backend is opened with, e.g.
     * {@code kubernetes.namespace} or {@code kubernetes.runtime_class.restrictive}.
     */
    public AgentKernelConfig withBackendProperties(Map<String, String> newProperties) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, images, newProperties, pty, ports);
    }

    public AgentKernelConfig withImages(Map<String, String> newImages) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, newImages, backendProperties, pty, ports);
    }

    /** Defaults for tests and embedders: no warm pool, audit log at {@code auditPath}. */
    public static AgentKernelConfig forTests(Path auditPath) {
        AgentKernelConfig d = defaults();
        return d.withPool(new Pool(0, d.pool().max(), false, d.pool().createParallelism()))
                .withAudit(new Audit(auditPath, true));
    }

    public static AgentKernelConfig defaults() {
        return new AgentKernelConfig(
                new Server("127.0.0.1", 18888, List.of(), List.of(), 16L * 1024 * 1024, Duration.ofSeconds(60),
                        Duration.ofSeconds(10)),
                new Sandbox("agentkernel/busybox:local", SecurityProfile.DEFAULT, null),
                new Resources(1, 512),
                new Pool(2, 128, true, Pool.DEFAULT_CREATE_PARALLELISM),
                new Limits(Duration.ofMinutes(5), 10L * 1024 * 1024, 64L * 1024 * 1024, 32,
                        Limits.DEFAULT_MAX_EXECS_PER_SANDBOX, Limits.DEFAULT_MAX_TIMEOUT),
                new Audit(Path.of(System.getProperty("user.home"), ".agentkernel", "audit.jsonl"), true),
                Map.of());
    }
}
