package dev.agentkernel.core.config;

import dev.agentkernel.api.SecurityProfile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration: {@code agentkernel.toml} sections plus environment overrides.
 * TODO(core services issue): loading from TOML + env with clear errors lives in {@code ConfigLoader}.
 */
public record AgentKernelConfig(Server server, Sandbox sandbox, Resources resources, Pool pool, Limits limits,
                                Audit audit, Map<String, String> images) {
    public AgentKernelConfig {
        java.util.Objects.requireNonNull(server, "server");
        java.util.Objects.requireNonNull(sandbox, "sandbox");
        java.util.Objects.requireNonNull(resources, "resources");
        java.util.Objects.requireNonNull(pool, "pool");
        java.util.Objects.requireNonNull(limits, "limits");
        java.util.Objects.requireNonNull(audit, "audit");
        images = images == null ? Map.of() : Map.copyOf(images);
    }

    /** {@code [server]}. */
    public record Server(String host, int port, List<String> allowedHosts, List<String> corsOrigins, long maxBodyBytes,
                         Duration idleTimeout, Duration shutdownGrace) {
    }

    /** {@code [sandbox]}: the fallback image, the default profile and the backend id (null: auto). */
    public record Sandbox(String image, SecurityProfile profile, String backend) {
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
     * @param createParallelism pool creations run in parallel at most (the engine's best parallelism)
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
     * {@code [limits]}.
     *
     * @param maxConcurrentRuns commands running at once; more wait in the admission queue
     * @param maxQueuedRuns     commands waiting at once; one more is refused at once ({@code BUSY})
     * @param queueTimeout      how long a command waits in the queue before it is refused ({@code BUSY})
     */
    public record Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                         int maxExecsPerSandbox, int maxQueuedRuns, Duration queueTimeout) {
        /** Commands at once in one named sandbox when the configuration does not say. */
        public static final int DEFAULT_MAX_EXECS_PER_SANDBOX = 8;
        public static final int DEFAULT_MAX_QUEUED_RUNS = 1000;
        public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(60);

        public Limits {
            if (maxQueuedRuns < 0 || queueTimeout == null || queueTimeout.isNegative()) {
                throw new IllegalArgumentException("maxQueuedRuns and queueTimeout must not be negative");
            }
        }

        /** Kept for callers written before the admission queue's settings: they get their defaults. */
        public Limits(Duration timeout, long maxOutputBytes, long maxFileBytes, int maxConcurrentRuns,
                      int maxExecsPerSandbox) {
            this(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns, maxExecsPerSandbox, DEFAULT_MAX_QUEUED_RUNS,
                    DEFAULT_QUEUE_TIMEOUT);
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
        return new AgentKernelConfig(newServer, sandbox, resources, pool, limits, audit, images);
    }

    public AgentKernelConfig withSandbox(Sandbox newSandbox) {
        return new AgentKernelConfig(server, newSandbox, resources, pool, limits, audit, images);
    }

    public AgentKernelConfig withResources(Resources newResources) {
        return new AgentKernelConfig(server, sandbox, newResources, pool, limits, audit, images);
    }

    public AgentKernelConfig withPool(Pool newPool) {
        return new AgentKernelConfig(server, sandbox, resources, newPool, limits, audit, images);
    }

    public AgentKernelConfig withLimits(Limits newLimits) {
        return new AgentKernelConfig(server, sandbox, resources, pool, newLimits, audit, images);
    }

    public AgentKernelConfig withAudit(Audit newAudit) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, newAudit, images);
    }

    public AgentKernelConfig withImages(Map<String, String> newImages) {
        return new AgentKernelConfig(server, sandbox, resources, pool, limits, audit, newImages);
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
                        Limits.DEFAULT_MAX_EXECS_PER_SANDBOX),
                new Audit(Path.of(System.getProperty("user.home"), ".agentkernel", "audit.jsonl"), true),
                Map.of());
    }
}
