package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.DetachedCommand;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;

import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.audit.AuditingBackend;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.image.ImageResolver;
import dev.agentkernel.core.internal.Admission;
import dev.agentkernel.core.internal.CapabilityGuard;
import dev.agentkernel.core.internal.CommandLimits;
import dev.agentkernel.core.internal.Expiries;
import dev.agentkernel.core.internal.Gate;
import dev.agentkernel.core.internal.InFlightRegistry;
import dev.agentkernel.core.internal.LazyAuditLog;
import dev.agentkernel.core.internal.LeaseKeeper;
import dev.agentkernel.core.internal.MeasuredBackend;
import dev.agentkernel.core.internal.MetricsRelay;
import dev.agentkernel.core.internal.OwnerLiveness;
import dev.agentkernel.core.internal.PortConnections;
import dev.agentkernel.core.internal.PortExposures;
import dev.agentkernel.core.internal.Provisioning;
import dev.agentkernel.core.internal.PtySessions;
import dev.agentkernel.core.internal.Reaper;
import dev.agentkernel.core.internal.SecretStore;
import dev.agentkernel.core.internal.Runs;
import dev.agentkernel.core.internal.TemporarySandboxes;
import dev.agentkernel.core.internal.Visibility;
import dev.agentkernel.core.pool.SandboxPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The one entry point for embedders, the server and the CLI: a facade over the parts in
 * {@code dev.agentkernel.core.internal}. Thread-safe: one instance serves many concurrent callers.
 *
 * <p>Building does no I/O: no engine call, no file, no thread. {@link #start()} (explicitly, or on the first
 * operation that needs the engine) reconciles — removes the {@code run} and {@code pool} sandboxes of dead
 * instances ({@link Reaper}; named sandboxes are adopted as they are) — warms the pool and schedules the reconcile
 * again every {@link Builder#reconcileInterval}. Closing cancels commands in flight, drains the warm pool and
 * removes the temporary sandboxes it made; named sandboxes are left alone. Closing also closes the backend.
 *
 * <p>Every backend call goes through one {@link AuditingBackend}, so each operation leaves its audit events
 * (see {@link AuditEvent}) on disk before the caller gets the answer; when they cannot be written the operation
 * is refused with {@code BACKEND_UNAVAILABLE}.
 *
 * <p>Defaults from the configuration: a request without a timeout gets {@code limits.timeout_ms}; output is
 * capped at {@code limits.max_output_bytes} per stream; files at {@code limits.max_file_bytes}. Commands in
 * flight are bounded by {@code limits.max_concurrent_runs} and {@code limits.max_execs_per_sandbox}
 * ({@link Gate}). Which sandboxes a caller sees: {@link Visibility}.
 */
public final class AgentKernel implements Sandboxes {
    private static final Logger LOG = LoggerFactory.getLogger(AgentKernel.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final RunListener NO_LISTENER = new RunListener() { };
    /** How long {@link #close} waits for cancelled commands to end. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /**
     * Output kept of a detached command, per stream, at most (in the sandbox's memory, which counts against its
     * limit; {@code limits.max_output_bytes} when lower). Beyond it output is dropped and {@code truncated} set.
     */
    public static final long DETACHED_MAX_OUTPUT_BYTES = 1 << 20;

    private enum State { NEW, STARTED, CLOSED }

    private final AgentKernelConfig config;
    private final LazyAuditLog auditLog;
    private final AuditingBackend backend;
    private final ImageResolver images;
    private final Gate gate;
    private final CommandLimits limits;
    private final Visibility visibility;
    private final InFlightRegistry inFlight = new InFlightRegistry();
    private final TemporarySandboxes temporaries;
    private final SandboxPool pool;
    private final Runs runs;
    private final Reaper reaper;
    private final LeaseKeeper lease;
    private final Duration reconcileInterval;
    private final MetricsRelay metrics = new MetricsRelay();
    private final PtySessions terminals;
    private final Expiries expiries;
    private final Duration expiryInterval;
    private final SecretStore secrets;
    private final Provisioning provisioning;
    private final PortExposures exposures;
    private final PortConnections connections;
    private volatile State state = State.NEW; // changed under this
    private volatile int reconciled;

    private AgentKernel(Builder b) {
        this.config = b.config;
        AuditLog given = b.auditLog;
        this.auditLog = given != null ? new LazyAuditLog(() -> given, given.enabled())
                : new LazyAuditLog(() -> config.audit().enabled() ? AuditLog.open(config.audit().path())
                        : AuditLog.disabled(), config.audit().enabled());
        this.backend = new AuditingBackend(new CapabilityGuard(new MeasuredBackend(b.backend, metrics)), auditLog,
                metrics);
        this.images = new ImageResolver(config.images(), config.sandbox().image(), b.imageAlternatives);
        this.gate = new Gate(backend, config.limits().maxConcurrentRuns(), config.limits().maxQueuedRuns(),
                b.admissionWait != null ? b.admissionWait : config.limits().queueTimeout(),
                config.limits().maxExecsPerSandbox(), metrics);
        this.limits = new CommandLimits(config.limits());
        this.visibility = new Visibility(backend);
        // Every run in flight or queued may leave its sandbox to the background: none waits for a removal.
        this.temporaries = new TemporarySandboxes(backend, b.destroyInBackground,
                Math.max(1, config.limits().maxConcurrentRuns() + config.limits().maxQueuedRuns()));
        this.pool = new SandboxPool(backend, config.pool().size(), config.pool().max(), config.pool().adaptive(),
                () -> newName("pool"), b.poolThreads != null ? b.poolThreads : config.pool().createParallelism(),
                metrics);
        this.runs = new Runs(config, backend, images, pool, temporaries, gate, inFlight, () -> newName("run"));
        this.reaper = new Reaper(backend, new OwnerLiveness(backend.leases(), backend.instanceId()),
                b.reconcileFilter, pool::prune);
        this.lease = new LeaseKeeper(backend.leases(), backend.instanceId(), b.leaseTtl);
        this.reconcileInterval = b.reconcileInterval;
        this.terminals = new PtySessions(config.pty());
        // The expiry table sits beside the audit log the configuration names; a kernel given its own log (tests)
        // keeps it in memory unless told where.
        Path expiryFile = b.expiryFile != null ? b.expiryFile
                : given == null ? config.audit().path().resolveSibling("expiries.json") : null;
        this.expiries = new Expiries(expiryFile, java.time.Instant::now);
        this.expiryInterval = b.expiryInterval;
        this.secrets = new SecretStore(b.secretDirectory != null ? b.secretDirectory
                : config.audit().path().toAbsolutePath().getParent().resolve("secrets"));
        this.provisioning = new Provisioning(backend, secrets);
        this.exposures = new PortExposures(expiryFile == null ? null : expiryFile.resolveSibling("ports.json"),
                java.time.Instant::now);
        this.connections = new PortConnections(config.ports().maxConnectionsPerSandbox());
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the kernel: opens the audit log, reconciles, warms the pool and schedules the periodic reconcile.
     * Idempotent; the first operation that needs the engine calls it too. An unreachable engine does not fail
     * it (the reconcile is skipped and tried again later); an unwritable audit log does.
     */
    public AgentKernel start() {
        if (state == State.STARTED) {
            return this; // the common case, without the lock
        }
        synchronized (this) {
            if (state == State.CLOSED) {
                throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "agentkernel is shutting down");
            }
            if (state == State.STARTED) {
                return this;
            }
            auditLog.open();
            lease.start(); // before anything is created: what we make is never without a live lease
            reconciled = reaper.reconcile();
            if (pool.enabled()) {
                pool.warm(runs.defaultKey());
            }
            reaper.schedule(reconcileInterval);
            expiries.schedule(expiryInterval, this::reapExpired);
            state = State.STARTED;
        }
        return this;
    }

    /** Runs a command in a temporary sandbox (pooled when {@code fast}) that is removed afterwards. */
    public RunResult run(RunRequest request) {
        return runStreaming(request, NO_LISTENER, Cancellation.create());
    }

    /** Like {@link #run} with events as they happen; cancelling kills the command and removes the sandbox. */
    public RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation) {
        Objects.requireNonNull(request, "request");
        started();
        return runs.run(request, listener == null ? NO_LISTENER : listener,
                cancellation == null ? Cancellation.create() : cancellation);
    }

    /** Runs every request in its own sandbox with bounded parallelism; results in input order. */
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        started();
        return runs.batch(requests);
    }

    /**
     * Creates and starts a named sandbox. What the spec leaves null is resolved here, and only here, from the
     * configuration: the image ({@code [sandbox] image}), the profile ({@code [sandbox] profile}) and the limits
     * ({@code [resources]}). The kind is always {@code named}. An image that is unavailable offline is replaced by
     * its configured local alternative (see {@link ImageResolver#offlineAlternative}); the returned info shows the
     * image used and the audit event carries {@code image_note}.
     */
    public SandboxInfo create(SandboxSpec spec) {
        return create(spec, CreateOptions.NONE);
    }

    // ---- create options, snapshots, volumes, secrets (issue 15)

    /**
     * Creates with options: everything that can be checked is checked before anything is made (profile rules,
     * volumes and secrets that exist, the clone's address); then the backend makes the sandbox with its volumes,
     * and the secret files are written and the source cloned. When a step fails the sandbox is removed (audited)
     * and the call throws: nothing is left behind.
     */
    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        Objects.requireNonNull(spec, "spec");
        CreateOptions o = options == null ? CreateOptions.NONE : options;
        started();
        SandboxSpec s = resolve(spec);
        Map<String, byte[]> secretValues = provisioning.check(s, o);
        if (!o.ports().isEmpty()) {
            requirePorts();
            if (o.ports().size() > config.ports().maxExposedPerSandbox()) {
                throw Validation.invalid("Invalid ports: " + o.ports().size() + " ports, at most "
                        + config.ports().maxExposedPerSandbox() + " (ports.max_exposed_per_sandbox)");
            }
        }
        ImageResolver.Choice choice = images.offlineAlternative(s.image(), backend::imageAvailable);
        if (choice.note() != null) {
            LOG.info("Image choice for sandbox {}: {}", s.name(), choice.note());
        }
        Duration ttl = s.ttl() != null ? s.ttl() : config.sandbox().ttl();
        Map<String, Object> note = new java.util.LinkedHashMap<>();
        if (choice.note() != null) {
            note.put("image_note", choice.note());
        }
        if (ttl != null) {
            note.put("ttl_seconds", ttl.toSeconds());
        }
        if (o.sourceUrl() != null) {
            note.put("source_url", o.sourceUrl()); // never credentials: the URL rules refuse them
        }
        SandboxSpec made = s.withImage(choice.image());
        // Only what the backend must make differently goes to it (a backend without options still creates).
        SandboxInfo info = o.volumes().isEmpty() && o.secretFiles().isEmpty()
                ? backend.create(made, note) : backend.create(made, o, note);
        if (!o.isEmpty()) {
            try {
                provisioning.apply(made.name(), o, secretValues);
                o.ports().forEach(p -> exposePort(made.name(), p));
            } catch (RuntimeException e) {
                try {
                    backend.remove(made.name(), Map.of("reason", "create_failed"));
                } catch (RuntimeException removal) {
                    e.addSuppressed(removal);
                }
                visibility.forget(made.name());
                exposures.forget(made.name());
                throw e;
            }
        }
        if (ttl != null && info.uuid() != null) {
            info = info.withExpiresAt(expiries.set(info.uuid(), ttl));
        }
        return info;
    }

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        String snap = name == null ? newName("snap") : Validation.snapshotName(name);
        named(sandbox);
        return backend.takeSnapshot(sandbox, snap);
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        started();
        return backend.snapshots().stream().sorted(Comparator.comparing(SnapshotInfo::createdAt)
                .thenComparing(SnapshotInfo::name)).toList();
    }

    @Override
    public SnapshotInfo getSnapshot(String name) {
        Validation.snapshotName(name);
        started();
        return backend.snapshot(name).orElseThrow(() -> snapshotNotFound(name));
    }

    @Override
    public void deleteSnapshot(String name) {
        Validation.snapshotName(name);
        started();
        backend.deleteSnapshot(name);
    }

    /** A new named sandbox from the snapshot's filesystem, limits and profile (the profile is never loosened). */
    @Override
    public SandboxInfo restoreSnapshot(String name, String asName) {
        SnapshotInfo snap = getSnapshot(name);
        String target = asName != null ? asName : snap.sandbox() + "-restored";
        Validation.sandboxName(target);
        return create(new SandboxSpec(target, snap.imageTag(), snap.vcpus(), snap.memoryMb(), snap.profile(), Map.of(),
                Map.of(), SandboxKind.NAMED));
    }

    @Override
    public VolumeInfo createVolume(String name) {
        Validation.volumeName(name);
        started();
        return backend.createVolume(name);
    }

    @Override
    public List<VolumeInfo> listVolumes() {
        started();
        return backend.volumes().stream().sorted(Comparator.comparing(VolumeInfo::name)).toList();
    }

    @Override
    public void removeVolume(String name) {
        Validation.volumeName(name);
        started();
        backend.removeVolume(name);
    }

    /** Stores a secret in the host's store; the audit event names the key, never the value. */
    @Override
    public void setSecret(String key, String value) {
        Validation.secretKey(key);
        Objects.requireNonNull(value, "value");
        started();
        secrets.set(key, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        backend.record("secret_set", null, Map.of("key", key));
    }

    @Override
    public List<String> listSecrets() {
        started();
        return secrets.keys();
    }

    @Override
    public void removeSecret(String key) {
        Validation.secretKey(key);
        started();
        secrets.remove(key);
        backend.record("secret_removed", null, Map.of("key", key));
    }

    private static AgentKernelException snapshotNotFound(String name) {
        return new AgentKernelException.NotFoundException("Snapshot '" + name + "' not found");
    }

    /** The spec of a named sandbox with every default applied (image, profile, limits). */
    private SandboxSpec resolve(SandboxSpec spec) {
        SandboxSpec s = spec.withKind(SandboxKind.NAMED).withDefaults(config.sandbox().profile(),
                config.resources().vcpus(), config.resources().memoryMb());
        return s.image() == null ? s.withImage(config.sandbox().image()) : s;
    }

    /** A named sandbox, or a temporary one while its run lasts. */
    public SandboxInfo get(String name) {
        started();
        return expiries.decorate(visibility.require(name, false));
    }

    /** Named sandboxes (and temporary ones while they run); pool members are not listed. */
    public List<SandboxInfo> list() {
        started();
        return visibility.list().stream().map(expiries::decorate).toList();
    }

    public ExecResult exec(String name, ExecRequest request) {
        return execStreaming(name, request, NO_LISTENER, Cancellation.create());
    }

    public ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        Objects.requireNonNull(request, "request");
        RunListener l = listener == null ? NO_LISTENER : listener;
        Cancellation c = cancellation == null ? Cancellation.create() : cancellation;
        ExecRequest limited = limits.apply(request);
        named(name);
        checkSudo(name, limited);
        try (InFlightRegistry.Registration ignored0 = inFlight.track(c); Admission.Permit ignored = gate.exec(name)) {
            l.onProgress(RunListener.Stage.EXECUTING);
            ExecResult result = backend.exec(name, limited, l, c);
            l.onDone(result);
            return result;
        }
    }

    /** Not counted as a command in flight (it may stay open for hours): bounded per sandbox instead. */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        named(name);
        return terminals.open(name, listener, l -> backend.openPty(name, request, l));
    }

    // ---- ports (issue 18)

    /**
     * Exposes a port of a named sandbox: audited ({@code port_exposed}) before it takes effect, idempotent (an
     * exposed port is returned as it was, with no new event), at most {@code ports.max_exposed_per_sandbox}.
     */
    @Override
    public ExposedPort exposePort(String name, int port) {
        Validation.port(port);
        named(name);
        requirePorts();
        String uuid = visibility.require(name, true).uuid();
        java.util.Optional<ExposedPort> already = exposures.find(name, uuid, port);
        if (already.isPresent()) {
            return already.get();
        }
        exposures.checkRoom(name, uuid, config.ports().maxExposedPerSandbox());
        backend.record("port_exposed", name, Map.of("port", port));
        return exposures.expose(name, uuid, port, config.ports().maxExposedPerSandbox());
    }

    /** Audited ({@code port_unexposed}) first; then new connections are refused and the open ones end. */
    @Override
    public void unexposePort(String name, int port) {
        Validation.port(port);
        named(name);
        String uuid = visibility.require(name, true).uuid();
        if (exposures.find(name, uuid, port).isEmpty()) {
            throw portNotExposed(name, port);
        }
        backend.record("port_unexposed", name, Map.of("port", port));
        exposures.unexpose(name, uuid, port);
        connections.closePort(name, port);
    }

    @Override
    public List<ExposedPort> exposedPorts(String name) {
        named(name);
        return exposures.list(name, visibility.require(name, true).uuid());
    }

    /** The exposed port, or {@code NOT_FOUND} naming it (also for a server checking a signed URL). */
    public ExposedPort exposedPort(String name, int port) {
        Validation.port(port);
        named(name);
        return exposures.find(name, visibility.require(name, true).uuid(), port)
                .orElseThrow(() -> portNotExposed(name, port));
    }

    /**
     * Connects to an exposed port of a running sandbox; counted against {@code ports.max_connections_per_sandbox}
     * until it ends, audited as {@code port_connection_closed} when it does.
     */
    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        Validation.port(port);
        Objects.requireNonNull(listener, "listener");
        named(name);
        requirePorts();
        SandboxInfo info = visibility.require(name, true);
        if (exposures.find(name, info.uuid(), port).isEmpty()) {
            throw portNotExposed(name, port);
        }
        if (!info.running()) {
            throw new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running");
        }
        return connections.open(name, port, listener, l -> backend.openPort(name, port, l));
    }

    /** Only a server signs URLs (with a key derived from its API key): embedded, {@code UNSUPPORTED}. */
    @Override
    public PortUrl portUrl(String name, int port, java.time.Duration ttl) {
        throw new AgentKernelException.UnsupportedException("Signed port URLs are made by a server (agentkernel serve),"
                + " which holds the key that signs them");
    }

    /** Records that a server issued a signed URL for a port (never the token itself). */
    public void auditPortUrl(String name, int port, java.time.Instant expiresAt) {
        backend.record("port_url_issued", name, Map.of("port", port, "expires_at", expiresAt.toString()));
    }

    private void requirePorts() {
        if (!backend.capabilities().contains(Capability.PORTS)) {
            throw new AgentKernelException.UnsupportedException("The " + backend.id()
                    + " backend cannot forward ports");
        }
    }

    private static AgentKernelException portNotExposed(String name, int port) {
        return new AgentKernelException.NotFoundException("Port " + port + " of sandbox '" + name
                + "' is not exposed");
    }

    public SandboxInfo stop(String name) {
        named(name);
        return backend.stop(name);
    }

    public SandboxInfo start(String name) {
        named(name);
        return backend.start(name);
    }

    public void remove(String name) {
        SandboxInfo info = get(name);
        try {
            backend.remove(name);
            expiries.forget(info.uuid());
        } finally {
            visibility.forget(name);
        }
        exposures.forget(name);
        connections.closeSandbox(name);
    }

    public FileContent readFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        named(name);
        return backend.readFile(name, normal, config.limits().maxFileBytes());
    }

    /** Writes a file, creating parents; returns the normalised path and size written. */
    public FileContent writeFile(String name, String path, byte[] content) {
        FileContent file = new FileContent(path, content);
        if (file.size() > config.limits().maxFileBytes()) {
            throw new AgentKernelException.TooLargeException("File content is larger than "
                    + config.limits().maxFileBytes() + " bytes");
        }
        named(name);
        backend.writeFile(name, file);
        return file;
    }

    /** Returns the normalised path deleted. */
    public String deleteFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        named(name);
        backend.deleteFile(name, normal);
        return normal;
    }

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands ----

    @Override
    public SandboxInfo getByUuid(String uuid) {
        String wanted = Validation.uuid(uuid);
        return list().stream().filter(s -> wanted.equals(s.uuid())).findFirst()
                .orElseThrow(() -> new AgentKernelException.NotFoundException("Sandbox with uuid '" + wanted
                        + "' not found"));
    }

    @Override
    public java.time.Instant extend(String name, Duration by) {
        Validation.ttl("by", by);
        started();
        SandboxInfo info = visibility.require(name, true);
        if (info.uuid() == null) {
            throw new AgentKernelException.UnsupportedException("The " + backend.id()
                    + " backend gives sandbox '" + name + "' no identity to keep a TTL by");
        }
        java.time.Instant at = expiries.extend(info.uuid(), by);
        backend.record("sandbox_extended", name, Map.of("by_seconds", by.toSeconds(), "expires_at", at.toString()));
        return at;
    }

    /** Checks every path and size first, then writes the files one by one (each audited as {@code file_written}). */
    @Override
    public int writeFiles(String name, Map<String, byte[]> files) {
        if (files == null || files.isEmpty()) {
            throw Validation.invalid("Invalid files: at least one file is required");
        }
        List<FileContent> checked = new java.util.ArrayList<>(files.size());
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            FileContent file = new FileContent(e.getKey(), e.getValue()); // null content: an empty file
            if (file.size() > config.limits().maxFileBytes()) {
                throw new AgentKernelException.TooLargeException("File '" + file.path() + "' is larger than "
                        + config.limits().maxFileBytes() + " bytes");
            }
            checked.add(file);
        }
        named(name);
        checked.forEach(file -> backend.writeFile(name, file));
        return checked.size();
    }

    /**
     * Starts a detached command. It gets no default timeout (it is meant to outlive the call), only one it asks
     * for, and its output is capped at {@link #DETACHED_MAX_OUTPUT_BYTES} per stream.
     */
    @Override
    public DetachedCommand execDetached(String name, ExecRequest request) {
        Objects.requireNonNull(request, "request");
        limits.checkTimeout(request.timeout(), "timeout_ms");
        long cap = Math.min(DETACHED_MAX_OUTPUT_BYTES, config.limits().maxOutputBytes());
        ExecRequest r = request.withMaxOutputBytes(Math.min(cap, request.maxOutputBytes()));
        named(name);
        checkSudo(name, r);
        return backend.execDetached(name, newDetachedId(), r);
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        named(name);
        return backend.detachedList(name);
    }

    @Override
    public DetachedCommand detachedStatus(String name, String id) {
        Validation.detachedId(id);
        return detachedList(name).stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> detachedNotFound(name, id));
    }

    @Override
    public String detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        Validation.detachedId(id);
        named(name);
        return new String(backend.detachedLogs(name, id, Objects.requireNonNull(stream, "stream")),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        Validation.detachedId(id);
        named(name);
        return backend.detachedKill(name, id);
    }

    public static AgentKernelException detachedNotFound(String name, String id) {
        return new AgentKernelException.NotFoundException("Detached command '" + id + "' not found in sandbox '"
                + name + "'");
    }

    /** One pass of TTL reaping (also run every {@link Builder#expiryInterval}); returns how many it removed. */
    public int reapExpired() {
        int removed = expiries.reap(visibility::list, backend);
        if (removed > 0) {
            // Ports of sandboxes that are gone (expired now, or removed by another instance) are dropped too.
            try {
                exposures.retainOnly(visibility.list().stream().map(SandboxInfo::name).toList());
            } catch (RuntimeException e) {
                LOG.warn("Could not prune the exposed ports: {}", e.getMessage());
            }
        }
        return removed;
    }

    /**
     * {@code sudo} is refused with {@code FORBIDDEN} when the configuration turns it off
     * ({@code sandbox.allow_sudo}) or the sandbox runs the restrictive profile (whose point is a non-root user).
     */
    private void checkSudo(String name, ExecRequest request) {
        if (!request.sudo()) {
            return;
        }
        if (!config.sandbox().allowSudo()) {
            throw new AgentKernelException(ErrorCode.FORBIDDEN,
                    "sudo is turned off on this server (sandbox.allow_sudo = false)");
        }
        SandboxInfo info = visibility.require(name, true);
        if (info.profile() == dev.agentkernel.api.SecurityProfile.RESTRICTIVE) {
            throw new AgentKernelException(ErrorCode.FORBIDDEN, "sudo is not allowed in sandbox '" + name
                    + "': its profile is restrictive");
        }
    }

    private static String newDetachedId() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Audit events of one sandbox (exact name), sorted by time; readable after the sandbox is removed. */
    public List<AuditEvent> logs(String name, LogQuery query) {
        Validation.sandboxName(name);
        return auditLog.query(name, query == null ? LogQuery.ALL : query);
    }

    /**
     * Records a refusal that happened before any sandbox operation (e.g. {@code auth_failed},
     * {@code request_refused}) with details such as {@code caller} and {@code reason}. Never pass secrets.
     * Throws {@code BACKEND_UNAVAILABLE} when the audit log is unwritable.
     */
    public void auditRefusal(String event, String sandbox, Map<String, Object> details) {
        backend.record(Objects.requireNonNull(event, "event"), sandbox, details);
    }

    /** Checks the audit log's hash chain. */
    public AuditLog.Verification auditVerify() {
        return auditLog.verify();
    }

    /** Whether audit events are being recorded. */
    public boolean auditEnabled() {
        return auditLog.enabled();
    }

    /** The image a command would run in, and why when it is a fallback (what {@link #run} would choose). */
    public ImageResolver.Choice resolveImage(List<String> argv, Path projectDirectory) {
        return images.resolve(argv, projectDirectory, backend::imageAvailable);
    }

    public PoolStats poolStats() {
        return pool.stats();
    }

    public BackendHealth health() {
        return backend.health();
    }

    /** What the backend can do beyond the basics; an operation needing a missing one is {@code UNSUPPORTED}. */
    public Set<Capability> capabilities() {
        return backend.capabilities();
    }

    public AgentKernelConfig config() {
        return config;
    }

    /**
     * Sends the kernel's measurements (engine calls, admission waits, pool claims, audit appends) to
     * {@code recorder} from now on, replacing the one attached before; none is attached at first.
     */
    public void recordMetrics(KernelMetrics recorder) {
        metrics.attach(recorder);
    }

    /** Sandboxes of dead instances removed by the reconcile of {@link #start()} (0 before it). */
    public int reconciledAtStart() {
        return reconciled;
    }

    /**
     * Cancels the commands in flight (their process trees are killed), waits for them to end (at most
     * {@link #CLOSE_WAIT}), drains the pool, removes the temporary sandboxes, closes the audit log and the backend.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
        }
        reaper.close();
        terminals.close();
        connections.close();
        expiries.close();
        inFlight.closeAndCancelAll();
        runs.stopBatches();
        inFlight.awaitNone(CLOSE_WAIT);
        temporaries.close(CLOSE_WAIT);
        pool.close();
        lease.close(this::leftovers);
        auditLog.close();
        backend.close();
    }

    /** Whether run or pool sandboxes of this instance remain (at close; when unknown, assume so). */
    private boolean leftovers() {
        try {
            return backend.list().stream().anyMatch(s -> s.kind() != SandboxKind.NAMED
                    && backend.instanceId().equals(s.owner()));
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Starts the kernel on first use; refuses once it is closing. */
    private void started() {
        inFlight.ensureOpen();
        start();
    }

    /** Checks that {@code name} is a named sandbox the caller may act on (its inside or its state). */
    private void named(String name) {
        started();
        visibility.requireNamed(name);
    }

    private static String newName(String prefix) {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return prefix + "-" + HexFormat.of().formatHex(b);
    }

    /** Builds an {@link AgentKernel}. */
    public static final class Builder {
        private Backend backend;
        private AgentKernelConfig config = AgentKernelConfig.defaults();
        private AuditLog auditLog;
        private Map<String, String> imageAlternatives;
        private Duration admissionWait;
        private Predicate<SandboxInfo> reconcileFilter = s -> true;
        private Duration reconcileInterval = Duration.ofMinutes(5);
        private Integer poolThreads;
        private boolean destroyInBackground;
        private Duration leaseTtl = Duration.ofSeconds(60);
        private Path expiryFile;
        private Duration expiryInterval = Duration.ofSeconds(15);

        /** Where sandbox expiries are kept (default: {@code expiries.json} beside the configured audit log). */
        public Builder expiryFile(Path file) {
            this.expiryFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** How often expired sandboxes are looked for (default 15 s; {@link Duration#ZERO}: never). */
        public Builder expiryInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("expiryInterval must not be negative");
            }
            this.expiryInterval = interval;
            return this;
        }

        private Path secretDirectory;

        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        public Builder config(AgentKernelConfig config) {
            this.config = config;
            return this;
        }

        /** Overrides the log chosen by {@code [audit]} (e.g. tests). */
        public Builder auditLog(AuditLog log) {
            this.auditLog = log;
            return this;
        }

        /** Detected image → local image used offline; see {@link ImageResolver}. */
        public Builder imageAlternatives(Map<String, String> alternatives) {
            this.imageAlternatives = alternatives;
            return this;
        }

        /** How long a command waits for a free slot before {@code BUSY} (default {@code limits.queue_timeout_ms}). */
        public Builder admissionWait(Duration wait) {
            this.admissionWait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /**
         * Limits the start-up reconcile to matching sandboxes (default: all). For tests that share an engine with
         * other test runs; a production instance reconciles everything.
         */
        public Builder reconcileFilter(Predicate<SandboxInfo> filter) {
            this.reconcileFilter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * How often the reconcile runs again after start-up (default 5 minutes; {@link Duration#ZERO} disables it).
         * Each pass also drops warm pool members whose container is gone. Errors are logged, never thrown.
         */
        public Builder reconcileInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("reconcileInterval must not be negative");
            }
            this.reconcileInterval = interval;
            return this;
        }

        /**
         * Removes a run's temporary or pooled sandbox right after the answer instead of before it (default false).
         * The answer then comes without the engine's removal time (the largest part of a pooled run), but the
         * sandbox (never reused) is still there for a moment after {@link #run} returns; {@link #close} waits for
         * these removals.
         */
        public Builder destroyInBackground(boolean background) {
            this.destroyInBackground = background;
            return this;
        }

        /**
         * How long this instance's lease lasts without renewal (default 60 s; renewed every third of it). Once it
         * has expired — the instance died, or lost the engine that long — any instance reaps its run and pool
         * sandboxes.
         */
        public Builder leaseTtl(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("leaseTtl must be positive");
            }
            this.leaseTtl = ttl;
            return this;
        }

        /** Threads that create pool members in the background (default {@code pool.create_parallelism}). */
        public Builder poolThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("poolThreads must be at least 1");
            }
            this.poolThreads = threads;
            return this;
        }

        /** Where the host's secrets are kept (default: {@code secrets/} beside the audit log, e.g. {@code ~/.agentkernel/secrets}). */
        public Builder secretDirectory(Path dir) {
            this.secretDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        public AgentKernel build() {
            if (backend == null) {
                throw new IllegalStateException("a backend is required");
            }
            Objects.requireNonNull(config, "config");
            return new AgentKernel(this);
        }
    }
}
