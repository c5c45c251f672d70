package dev.agentkernel.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.BackendSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Loads {@link AgentKernelConfig} from {@code agentkernel.toml} and {@code AGENTKERNEL_*} environment variables.
 *
 * <p>File search (the first that exists is read, files are not merged): the explicit file (argument or
 * {@code AGENTKERNEL_CONFIG}; it must exist), then {@code ./agentkernel.toml}, then
 * {@code ~/.agentkernel/config.toml}. No file means the defaults. Environment variables override the file.
 *
 * <p>The file, every key optional:
 * <pre>
 * [server]    host = "127.0.0.1", port = 18888, allowed_hosts = ["myhost"], cors_origins = [],
 *             max_body_bytes = 16777216, idle_timeout_ms = 60000, shutdown_grace_ms = 10000
 * [sandbox]   image = "agentkernel/busybox:local"  (fallback image), profile = "moderate", backend = "docker",
 *             pull_registries = ["docker.io"]  (registries images may be pulled from; "*" any, [] none;
 *             unset: serve and the MCP server none, one-shot CLI commands any), ttl = "8h" (default TTL of
 *             new sandboxes; unset: none), allow_sudo = true
 * [resources] vcpus = 1, memory_mb = 512
 * [pool]      size = 2 (warm sandboxes per key at least; 0 disables), max = 128 (overall),
 *             adaptive = true (a key's target follows its recent demand up to max), create_parallelism = 4
 * [limits]    timeout_ms = 300000, max_timeout_ms = 86400000, max_output_bytes = 10485760,
 *             max_file_bytes = 67108864, max_concurrent_runs = 32, max_execs_per_sandbox = 8,
 *             max_queued_runs = 1000, queue_timeout_ms = 60000
 * [audit]     path = "~/.agentkernel/audit.jsonl", enabled = true
 * [pty]       max_sessions_per_sandbox = 8, idle_timeout_ms = 1800000  (interactive terminals)
 * [ports]     max_connections_per_sandbox = 32, max_exposed_per_sandbox = 16, url_max_ttl = "24h",
 *             preview_domain = "localhost"  (forwarded sandbox ports and their signed browser URLs)
 * [images]    python3 = "my/python:3.12"   (program → image, overrides auto-detection)
 * [profiles.moderate] runtime = "runsc"   (per profile: the container runtime, e.g. gVisor; default the engine's;
 *             passed on as the backend property {@code runtime.moderate})
 * [docker]    host = "unix:///var/run/docker.sock", pull = true, exec = "auto", disk_mb = 1024, disk_inodes = 65536
 *             (the Docker backend's own keys, passed on as {@code docker.*} backend properties; see
 *             backend-docker/README.md)
 * [kubernetes] namespace = "agentkernel", ... (the Kubernetes backend's own keys, see docs/kubernetes.md; passed
 *             on as {@code kubernetes.*} backend properties, nested tables as {@code kubernetes.runtime_class.*})
 * </pre>
 *
 * <table>
 *   <caption>Environment overrides</caption>
 *   <tr><th>variable</th><th>overrides</th></tr>
 *   <tr><td>AGENTKERNEL_CONFIG</td><td>the config file to read</td></tr>
 *   <tr><td>AGENTKERNEL_HOST</td><td>server.host</td></tr>
 *   <tr><td>AGENTKERNEL_PORT</td><td>server.port</td></tr>
 *   <tr><td>AGENTKERNEL_IMAGE</td><td>sandbox.image</td></tr>
 *   <tr><td>AGENTKERNEL_PROFILE</td><td>sandbox.profile</td></tr>
 *   <tr><td>AGENTKERNEL_BACKEND</td><td>sandbox.backend</td></tr>
 *   <tr><td>AGENTKERNEL_PULL_REGISTRIES</td><td>sandbox.pull_registries (comma-separated; empty: none)</td></tr>
 *   <tr><td>AGENTKERNEL_SANDBOX_TTL</td><td>sandbox.ttl (a duration: 3600, 30m, 2h, 1d; "" or 0: none)</td></tr>
 *   <tr><td>AGENTKERNEL_ALLOW_SUDO</td><td>sandbox.allow_sudo</td></tr>
 *   <tr><td>AGENTKERNEL_VCPUS</td><td>resources.vcpus</td></tr>
 *   <tr><td>AGENTKERNEL_MEMORY_MB</td><td>resources.memory_mb</td></tr>
 *   <tr><td>AGENTKERNEL_POOL_SIZE</td><td>pool.size</td></tr>
 *   <tr><td>AGENTKERNEL_POOL_MAX</td><td>pool.max</td></tr>
 *   <tr><td>AGENTKERNEL_POOL_ADAPTIVE</td><td>pool.adaptive</td></tr>
 *   <tr><td>AGENTKERNEL_POOL_CREATE_PARALLELISM</td><td>pool.create_parallelism</td></tr>
 *   <tr><td>AGENTKERNEL_TIMEOUT_MS</td><td>limits.timeout_ms</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_TIMEOUT_MS</td><td>limits.max_timeout_ms</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_OUTPUT_BYTES</td><td>limits.max_output_bytes</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_FILE_BYTES</td><td>limits.max_file_bytes</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_CONCURRENT_RUNS</td><td>limits.max_concurrent_runs</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_EXECS_PER_SANDBOX</td><td>limits.max_execs_per_sandbox</td></tr>
 *   <tr><td>AGENTKERNEL_MAX_QUEUED_RUNS</td><td>limits.max_queued_runs</td></tr>
 *   <tr><td>AGENTKERNEL_QUEUE_TIMEOUT_MS</td><td>limits.queue_timeout_ms</td></tr>
 *   <tr><td>AGENTKERNEL_PORTS_MAX_CONNECTIONS_PER_SANDBOX</td><td>ports.max_connections_per_sandbox</td></tr>
 *   <tr><td>AGENTKERNEL_PORTS_MAX_EXPOSED_PER_SANDBOX</td><td>ports.max_exposed_per_sandbox</td></tr>
 *   <tr><td>AGENTKERNEL_PORTS_URL_MAX_TTL</td><td>ports.url_max_ttl</td></tr>
 *   <tr><td>AGENTKERNEL_PORTS_PREVIEW_DOMAIN</td><td>ports.preview_domain</td></tr>
 *   <tr><td>AGENTKERNEL_AUDIT</td><td>audit.enabled ({@code 0}/{@code false} disables, {@code 1}/{@code true} enables)</td></tr>
 *   <tr><td>AGENTKERNEL_AUDIT_PATH</td><td>audit.path</td></tr>
 *   <tr><td>AGENTKERNEL_DOCKER_KEY</td><td>docker.key (e.g. {@code AGENTKERNEL_DOCKER_PULL})</td></tr>
 *   <tr><td>AGENTKERNEL_KUBERNETES_KEY</td><td>kubernetes.key ({@code __} for a nested key's dot)</td></tr>
 * </table>
 *
 * <p>Every number has an upper bound (see {@link AgentKernelConfig.Server} and {@link AgentKernelConfig.Limits}:
 * bodies, output and files at most 1 GiB, the idle timeout 24 h, the shutdown grace 1 h, {@code max_timeout_ms}
 * 30 days, {@code timeout_ms} at most {@code max_timeout_ms}). Unknown sections or keys and values of the wrong
 * type or out of range are
 * {@link AgentKernelException.InvalidRequestException}s naming the key and the file (or variable).
 */
public final class ConfigLoader {
    public static final String FILE_NAME = "agentkernel.toml";
    /** The variable of {@code sandbox.backend}; front ends' {@code --backend} option sets it. */
    public static final String BACKEND_ENV = "AGENTKERNEL_BACKEND";

    private static final Map<String, String> ENV = new LinkedHashMap<>();
    private static final List<String> SECTIONS = List.of("server", "sandbox", "resources", "pool", "limits", "audit",
            "pty", "ports", "images", "profiles", "docker", "kubernetes");
    /**
     * Sections that belong to a backend: handed to it unread, flattened into properties ({@code kubernetes.namespace},
     * {@code kubernetes.runtime_class.restrictive}); the backend checks its own keys when it opens.
     */
    private static final List<String> BACKEND_SECTIONS = List.of("docker", "kubernetes");
    /** {@code AGENTKERNEL_KUBERNETES_NAMESPACE} sets {@code kubernetes.namespace}; {@code __} nests a key. */
    private static final String BACKEND_ENV_PREFIX = "AGENTKERNEL_";

    static {
        ENV.put("AGENTKERNEL_HOST", "server.host");
        ENV.put("AGENTKERNEL_PORT", "server.port");
        ENV.put("AGENTKERNEL_IMAGE", "sandbox.image");
        ENV.put("AGENTKERNEL_PROFILE", "sandbox.profile");
        ENV.put(BACKEND_ENV, "sandbox.backend");
        ENV.put("AGENTKERNEL_PULL_REGISTRIES", "sandbox.pull_registries");
        ENV.put("AGENTKERNEL_SANDBOX_TTL", "sandbox.ttl");
        ENV.put("AGENTKERNEL_ALLOW_SUDO", "sandbox.allow_sudo");
        ENV.put("AGENTKERNEL_VCPUS", "resources.vcpus");
        ENV.put("AGENTKERNEL_MEMORY_MB", "resources.memory_mb");
        ENV.put("AGENTKERNEL_POOL_SIZE", "pool.size");
        ENV.put("AGENTKERNEL_POOL_MAX", "pool.max");
        ENV.put("AGENTKERNEL_POOL_ADAPTIVE", "pool.adaptive");
        ENV.put("AGENTKERNEL_POOL_CREATE_PARALLELISM", "pool.create_parallelism");
        ENV.put("AGENTKERNEL_TIMEOUT_MS", "limits.timeout_ms");
        ENV.put("AGENTKERNEL_MAX_TIMEOUT_MS", "limits.max_timeout_ms");
        ENV.put("AGENTKERNEL_MAX_OUTPUT_BYTES", "limits.max_output_bytes");
        ENV.put("AGENTKERNEL_MAX_FILE_BYTES", "limits.max_file_bytes");
        ENV.put("AGENTKERNEL_MAX_CONCURRENT_RUNS", "limits.max_concurrent_runs");
        ENV.put("AGENTKERNEL_MAX_EXECS_PER_SANDBOX", "limits.max_execs_per_sandbox");
        ENV.put("AGENTKERNEL_MAX_QUEUED_RUNS", "limits.max_queued_runs");
        ENV.put("AGENTKERNEL_QUEUE_TIMEOUT_MS", "limits.queue_timeout_ms");
        ENV.put("AGENTKERNEL_PORTS_MAX_CONNECTIONS_PER_SANDBOX", "ports.max_connections_per_sandbox");
        ENV.put("AGENTKERNEL_PORTS_MAX_EXPOSED_PER_SANDBOX", "ports.max_exposed_per_sandbox");
        ENV.put("AGENTKERNEL_PORTS_URL_MAX_TTL", "ports.url_max_ttl");
        ENV.put("AGENTKERNEL_PORTS_PREVIEW_DOMAIN", "ports.preview_domain");
        ENV.put("AGENTKERNEL_AUDIT", "audit.enabled");
        ENV.put("AGENTKERNEL_AUDIT_PATH", "audit.path");
    }

    private ConfigLoader() {
    }

    /** Defaults, the first config file found, and the process environment. */
    public static AgentKernelConfig load() {
        return load(null, System.getenv(), Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")));
    }

    /** Like {@link #load()} with an explicit file (null: search). */
    public static AgentKernelConfig load(Path explicitFile) {
        return load(explicitFile, System.getenv(), Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The testable form.
     *
     * @param explicitFile a file that must exist, or null to search
     * @param env          the environment
     * @param workingDir   where {@code agentkernel.toml} is looked for
     * @param home         the user's home ({@code ~/.agentkernel/config.toml}, {@code ~} in paths)
     */
    public static AgentKernelConfig load(Path explicitFile, Map<String, String> env, Path workingDir, Path home) {
        AgentKernelConfig config = defaults(home);
        Optional<Path> file = findFile(explicitFile, env, workingDir, home);
        if (file.isPresent()) {
            String text;
            try {
                text = Files.readString(file.get());
            } catch (IOException e) {
                throw new AgentKernelException.InvalidRequestException("Cannot read config file " + file.get() + ": "
                        + e.getMessage());
            }
            config = parse(text, file.get().toString(), config, home);
        }
        return applyEnv(config, env, home);
    }

    /** The defaults of {@link AgentKernelConfig#defaults()} with the audit log under {@code home}. */
    public static AgentKernelConfig defaults(Path home) {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        return d.withAudit(new AgentKernelConfig.Audit(home.resolve(".agentkernel").resolve("audit.jsonl"),
                d.audit().enabled()));
    }

    public static Optional<Path> findFile(Path explicitFile, Map<String, String> env, Path workingDir, Path home) {
        Path explicit = explicitFile;
        if (explicit == null && env.get("AGENTKERNEL_CONFIG") != null && !env.get("AGENTKERNEL_CONFIG").isBlank()) {
            explicit = Path.of(env.get("AGENTKERNEL_CONFIG"));
        }
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) {
                throw new AgentKernelException.InvalidRequestException("Config file " + explicit + " does not exist");
            }
            return Optional.of(explicit);
        }
        for (Path candidate : List.of(workingDir.resolve(FILE_NAME), home.resolve(".agentkernel").resolve("config.toml"))) {
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Applies a TOML document on top of {@code base}; {@code source} names the file in errors. */
    public static AgentKernelConfig parse(String toml, String source, AgentKernelConfig base, Path home) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(toml);
        } catch (IOException e) {
            throw new AgentKernelException.InvalidRequestException("Invalid config file " + source + ": "
                    + firstLine(e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return base;
        }
        Builder b = new Builder(base, home);
        Iterator<Map.Entry<String, JsonNode>> sections = root.fields();
        while (sections.hasNext()) {
            Map.Entry<String, JsonNode> section = sections.next();
            if (!SECTIONS.contains(section.getKey())) {
                throw new AgentKernelException.InvalidRequestException("Unknown config key '" + section.getKey()
                        + "' in " + source + ": the sections are " + SECTIONS);
            }
            if (!section.getValue().isObject()) {
                throw new AgentKernelException.InvalidRequestException("Invalid config key '" + section.getKey()
                        + "' in " + source + ": expected a [" + section.getKey() + "] section");
            }
            if (BACKEND_SECTIONS.contains(section.getKey())) {
                flatten(section.getKey(), section.getValue(), b.backendProperties, "in " + source);
                continue;
            }
            Iterator<Map.Entry<String, JsonNode>> keys = section.getValue().fields();
            while (keys.hasNext()) {
                Map.Entry<String, JsonNode> key = keys.next();
                b.set(section.getKey(), key.getKey(), key.getValue(), "in " + source);
            }
        }
        return b.build("in " + source);
    }

    static AgentKernelConfig applyEnv(AgentKernelConfig base, Map<String, String> env, Path home) {
        Builder b = new Builder(base, home);
        for (Map.Entry<String, String> e : ENV.entrySet()) {
            String value = env.get(e.getKey());
            if (value == null) {
                continue;
            }
            String[] key = e.getValue().split("\\.");
            b.set(key[0], key[1], TextNode.valueOf(value.trim()), "from environment variable " + e.getKey());
        }
        for (String section : BACKEND_SECTIONS) {
            String prefix = BACKEND_ENV_PREFIX + section.toUpperCase(Locale.ROOT) + "_";
            env.forEach((k, v) -> {
                if (k.startsWith(prefix) && k.length() > prefix.length()) {
                    String key = k.substring(prefix.length()).toLowerCase(Locale.ROOT).replace("__", ".");
                    b.backendProperties.put(section + "." + key, v.trim());
                }
            });
        }
        return b.build("with the AGENTKERNEL_* environment variables");
    }

    /**
     * A backend section as flat properties: tables nest with {@code .}, arrays of strings become one
     * comma-separated value, other scalars their text.
     */
    private static void flatten(String prefix, JsonNode node, Map<String, String> out, String where) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                flatten(prefix + "." + f.getKey(), f.getValue(), out, where);
            }
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isValueNode() || item.asText().contains(",")) {
                    throw new AgentKernelException.InvalidRequestException("Invalid config value for '" + prefix + "' "
                            + where + ": must be an array of strings without commas");
                }
                items.add(item.asText());
            }
            out.put(prefix, String.join(",", items));
        } else {
            out.put(prefix, node.asText());
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "cannot parse";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Mutable copy of a config; every setter validates and names the key and its source on error. */
    private static final class Builder {
        private final Path home;
        private String host;
        private int port;
        private List<String> allowedHosts;
        private List<String> corsOrigins;
        private long maxBodyBytes;
        private Duration idleTimeout;
        private Duration shutdownGrace;
        private String image;
        private SecurityProfile profile;
        private String backend;
        private List<String> pullRegistries;
        private Duration sandboxTtl;
        private boolean allowSudo;
        private int vcpus;
        private int memoryMb;
        private int poolSize;
        private int poolMax;
        private boolean poolAdaptive;
        private int poolCreateParallelism;
        private Duration timeout;
        private Duration maxTimeout;
        private long maxOutputBytes;
        private long maxFileBytes;
        private int maxConcurrentRuns;
        private int maxExecsPerSandbox;
        private int maxQueuedRuns;
        private Duration queueTimeout;
        private Path auditPath;
        private boolean auditEnabled;
        private int ptyMaxSessions;
        private Duration ptyIdleTimeout;
        private int portsMaxConnections;
        private int portsMaxExposed;
        private Duration portsUrlMaxTtl;
        private String portsPreviewDomain;
        private final Map<String, String> images;
        private final Map<String, String> backendProperties;

        Builder(AgentKernelConfig c, Path home) {
            this.home = home;
            host = c.server().host();
            port = c.server().port();
            allowedHosts = c.server().allowedHosts();
            corsOrigins = c.server().corsOrigins();
            maxBodyBytes = c.server().maxBodyBytes();
            idleTimeout = c.server().idleTimeout();
            shutdownGrace = c.server().shutdownGrace();
            image = c.sandbox().image();
            profile = c.sandbox().profile();
            backend = c.sandbox().backend();
            pullRegistries = c.sandbox().pullRegistries();
            sandboxTtl = c.sandbox().ttl();
            allowSudo = c.sandbox().allowSudo();
            vcpus = c.resources().vcpus();
            memoryMb = c.resources().memoryMb();
            poolSize = c.pool().size();
            poolMax = c.pool().max();
            poolAdaptive = c.pool().adaptive();
            poolCreateParallelism = c.pool().createParallelism();
            timeout = c.limits().timeout();
            maxTimeout = c.limits().maxTimeout();
            maxOutputBytes = c.limits().maxOutputBytes();
            maxFileBytes = c.limits().maxFileBytes();
            maxConcurrentRuns = c.limits().maxConcurrentRuns();
            maxExecsPerSandbox = c.limits().maxExecsPerSandbox();
            maxQueuedRuns = c.limits().maxQueuedRuns();
            queueTimeout = c.limits().queueTimeout();
            auditPath = c.audit().path();
            auditEnabled = c.audit().enabled();
            ptyMaxSessions = c.pty().maxSessionsPerSandbox();
            ptyIdleTimeout = c.pty().idleTimeout();
            portsMaxConnections = c.ports().maxConnectionsPerSandbox();
            portsMaxExposed = c.ports().maxExposedPerSandbox();
            portsUrlMaxTtl = c.ports().urlMaxTtl();
            portsPreviewDomain = c.ports().previewDomain();
            images = new LinkedHashMap<>(c.images());
            backendProperties = new LinkedHashMap<>(c.backendProperties());
        }

        /** The config; a rule across keys (e.g. timeout and its maximum) is reported with {@code where}. */
        AgentKernelConfig build(String where) {
            try {
                return build();
            } catch (AgentKernelException.InvalidRequestException e) {
                throw new AgentKernelException.InvalidRequestException(e.getMessage() + " " + where);
            }
        }

        private AgentKernelConfig build() {
            return new AgentKernelConfig(
                    new AgentKernelConfig.Server(host, port, allowedHosts, corsOrigins, maxBodyBytes, idleTimeout,
                            shutdownGrace),
                    new AgentKernelConfig.Sandbox(image, profile, backend, pullRegistries, sandboxTtl, allowSudo),
                    new AgentKernelConfig.Resources(vcpus, memoryMb),
                    new AgentKernelConfig.Pool(poolSize, poolMax, poolAdaptive, poolCreateParallelism),
                    new AgentKernelConfig.Limits(timeout, maxOutputBytes, maxFileBytes, maxConcurrentRuns,
                            maxExecsPerSandbox, maxTimeout, maxQueuedRuns, queueTimeout),
                    new AgentKernelConfig.Audit(auditPath, auditEnabled),
                    images, backendProperties, new AgentKernelConfig.Pty(ptyMaxSessions, ptyIdleTimeout),
                    new AgentKernelConfig.Ports(portsMaxConnections, portsMaxExposed, portsUrlMaxTtl,
                            portsPreviewDomain));
        }

        void set(String section, String key, JsonNode v, String where) {
            Value val = new Value(section + "." + key, v, where);
            switch (section + "." + key) {
                case "server.host" -> host = val.string();
                case "server.port" -> port = (int) val.integer(1, 65535);
                case "server.allowed_hosts" -> allowedHosts = val.strings();
                case "server.cors_origins" -> corsOrigins = val.strings();
                case "server.max_body_bytes" -> maxBodyBytes = val.integer(1, AgentKernelConfig.Server.MAX_BODY_BYTES);
                case "server.idle_timeout_ms" -> idleTimeout = val.millis(1, AgentKernelConfig.Server.LONGEST_IDLE_TIMEOUT);
                case "server.shutdown_grace_ms" -> shutdownGrace = val.millis(0,
                        AgentKernelConfig.Server.LONGEST_SHUTDOWN_GRACE);
                case "sandbox.image" -> image = val.image();
                case "sandbox.profile" -> profile = val.profile();
                case "sandbox.backend" -> backend = val.string();
                case "sandbox.pull_registries" -> pullRegistries = val.registries();
                case "sandbox.ttl" -> sandboxTtl = val.ttl();
                case "sandbox.allow_sudo" -> allowSudo = val.bool();
                case "resources.vcpus" -> vcpus = (int) val.integer(Validation.MIN_VCPUS, Validation.MAX_VCPUS);
                case "resources.memory_mb" -> memoryMb = (int) val.integer(Validation.MIN_MEMORY_MB,
                        Validation.MAX_MEMORY_MB);
                case "pool.size" -> poolSize = (int) val.integer(0, 1024);
                case "pool.max" -> poolMax = (int) val.integer(0, 4096);
                case "pool.adaptive" -> poolAdaptive = val.bool();
                case "pool.create_parallelism" -> poolCreateParallelism = (int) val.integer(1, 64);
                case "limits.timeout_ms" -> timeout = val.millis(1, AgentKernelConfig.Limits.LONGEST_MAX_TIMEOUT);
                case "limits.max_timeout_ms" -> maxTimeout = val.millis(1, AgentKernelConfig.Limits.LONGEST_MAX_TIMEOUT);
                case "limits.max_output_bytes" -> maxOutputBytes = val.integer(1, AgentKernelConfig.Limits.MAX_BYTES);
                case "limits.max_file_bytes" -> maxFileBytes = val.integer(1, AgentKernelConfig.Limits.MAX_BYTES);
                case "limits.max_concurrent_runs" -> maxConcurrentRuns = (int) val.integer(1,
                        AgentKernelConfig.Limits.MAX_COMMANDS);
                case "limits.max_execs_per_sandbox" -> maxExecsPerSandbox = (int) val.integer(1,
                        AgentKernelConfig.Limits.MAX_COMMANDS);
                case "limits.max_queued_runs" -> maxQueuedRuns = (int) val.integer(0, 1_000_000);
                case "limits.queue_timeout_ms" -> queueTimeout = val.millis(0, AgentKernelConfig.Limits.LONGEST_MAX_TIMEOUT);
                case "audit.path" -> auditPath = val.path(home);
                case "audit.enabled" -> auditEnabled = val.bool();
                case "pty.max_sessions_per_sandbox" -> ptyMaxSessions = (int) val.integer(1,
                        AgentKernelConfig.Pty.MAX_SESSIONS);
                case "pty.idle_timeout_ms" -> ptyIdleTimeout = val.millis(1, AgentKernelConfig.Pty.LONGEST_IDLE_TIMEOUT);
                case "ports.max_connections_per_sandbox" -> portsMaxConnections = (int) val.integer(1,
                        AgentKernelConfig.Ports.MAX_COUNT);
                case "ports.max_exposed_per_sandbox" -> portsMaxExposed = (int) val.integer(1,
                        AgentKernelConfig.Ports.MAX_COUNT);
                case "ports.url_max_ttl" -> portsUrlMaxTtl = val.urlTtl();
                case "ports.preview_domain" -> portsPreviewDomain = val.domain();
                default -> {
                    if (section.equals("profiles")) {
                        String runtime = val.profileRuntime();
                        if (runtime != null) {
                            backendProperties.put(BackendSettings.runtimeKey(val.profileName(key)), runtime);
                        }
                    } else if (section.equals("images")) {
                        images.put(key, val.image());
                    } else {
                        throw new AgentKernelException.InvalidRequestException("Unknown config key '" + section + "."
                                + key + "' " + where);
                    }
                }
            }
        }
    }

    /** One value with where it came from; TOML values must have the right type, env values are parsed. */
    private record Value(String key, JsonNode node, String where) {
        private AgentKernelException.InvalidRequestException bad(String rule) {
            return new AgentKernelException.InvalidRequestException("Invalid config value for '" + key + "' " + where
                    + ": " + rule);
        }

        String string() {
            if (!node.isTextual() || node.asText().isBlank()) {
                throw bad("must be a non-empty string");
            }
            return node.asText();
        }

        long integer(long min, long max) {
            long n;
            if (node.isIntegralNumber() && node.canConvertToLong()) {
                n = node.asLong();
            } else if (node.isTextual() && fromEnv()) {
                try {
                    n = Long.parseLong(node.asText());
                } catch (NumberFormatException e) {
                    throw bad("must be an integer");
                }
            } else {
                throw bad("must be an integer");
            }
            if (n < min || n > max) {
                throw bad("must be between " + min + " and " + max);
            }
            return n;
        }

        Duration millis(long min, Duration max) {
            return Duration.ofMillis(integer(min, max.toMillis()));
        }

        boolean bool() {
            if (node.isBoolean()) {
                return node.asBoolean();
            }
            if (node.isTextual() && fromEnv()) {
                switch (node.asText().toLowerCase(Locale.ROOT)) {
                    case "1", "true", "yes", "on":
                        return true;
                    case "0", "false", "no", "off":
                        return false;
                    default:
                        throw bad("must be 0 or 1 (or true/false)");
                }
            }
            throw bad("must be true or false");
        }

        List<String> strings() {
            List<String> out = new ArrayList<>();
            if (node.isArray()) {
                for (JsonNode n : node) {
                    if (!n.isTextual()) {
                        throw bad("must be an array of strings");
                    }
                    out.add(n.asText());
                }
                return List.copyOf(out);
            }
            if (node.isTextual() && fromEnv()) {
                for (String s : node.asText().split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
                return List.copyOf(out);
            }
            throw bad("must be an array of strings");
        }

        String image() {
            String s = string();
            try {
                return Validation.image(s);
            } catch (AgentKernelException e) {
                throw bad("not a valid image reference");
            }
        }

        /** A default TTL: seconds as a number, or upstream's duration text (30m, 2h, 1d); 0 or "" is none. */
        /** A duration of 1 s up to {@link AgentKernelConfig.Ports#LONGEST_URL_TTL}. */
        Duration urlTtl() {
            Duration d = ttl();
            if (d == null || d.compareTo(AgentKernelConfig.Ports.LONGEST_URL_TTL) > 0) {
                throw bad("must be a duration from 1s to " + AgentKernelConfig.Ports.LONGEST_URL_TTL.toDays() + "d");
            }
            return d;
        }

        /** A DNS name (letters, digits, hyphens, dots), lower-cased: the Host header is compared with it. */
        String domain() {
            String d = string().toLowerCase(Locale.ROOT);
            if (!d.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
                throw bad("must be a DNS name such as localhost or preview.example.com");
            }
            return d;
        }

        Duration ttl() {
            String text = node.isIntegralNumber() ? node.asText() : node.isTextual() ? node.asText().strip() : null;
            if (text == null) {
                throw bad("must be a duration such as 3600, 30m, 2h or 1d");
            }
            if (text.isEmpty() || text.equals("0")) {
                return null;
            }
            try {
                return Validation.duration("value", text);
            } catch (AgentKernelException.InvalidRequestException e) {
                throw bad("must be a duration such as 3600, 30m, 2h or 1d, at most " + Validation.MAX_TTL.toDays()
                        + " days");
            }
        }

        /** Registry host names (with an optional port), or {@code *}. */
        List<String> registries() {
            List<String> out = strings();
            for (String r : out) {
                if (!r.equals("*") && !r.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?")) {
                    throw bad("'" + r + "' is not a registry (host or host:port, or *)");
                }
            }
            return out;
        }

        /** The key of a {@code [profiles.NAME]} table. */
        SecurityProfile profileName(String name) {
            try {
                return SecurityProfile.fromWire(name);
            } catch (AgentKernelException e) {
                throw new AgentKernelException.InvalidRequestException("Unknown config key 'profiles." + name + "' "
                        + where + ": the profiles are permissive, moderate, restrictive");
            }
        }

        /** A {@code [profiles.NAME]} table: {@code runtime = "runsc"}; the runtime or null. */
        String profileRuntime() {
            if (!node.isObject()) {
                throw bad("expected a table such as [" + key + "] with runtime = \"runsc\"");
            }
            String runtime = null;
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                Value v = new Value(key + "." + f.getKey(), f.getValue(), where);
                if (!f.getKey().equals("runtime")) {
                    throw new AgentKernelException.InvalidRequestException("Unknown config key '" + v.key + "' " + where);
                }
                runtime = v.string();
                if (!runtime.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                    throw v.bad("not a runtime name");
                }
            }
            return runtime;
        }

        SecurityProfile profile() {
            String s = string();
            try {
                return SecurityProfile.fromWire(s);
            } catch (AgentKernelException e) {
                throw bad("must be one of permissive, moderate, restrictive");
            }
        }

        Path path(Path home) {
            String s = string();
            if (s.equals("~") || s.startsWith("~/")) {
                return home.resolve(s.substring(Math.min(2, s.length())));
            }
            return Path.of(s);
        }

        private boolean fromEnv() {
            return where.startsWith("from environment");
        }
    }
}
