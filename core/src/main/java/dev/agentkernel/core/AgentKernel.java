package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
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
import dev.agentkernel.core.internal.SandboxExecSlots;
import dev.agentkernel.core.pool.SandboxPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The one entry point for embedders, the server and the CLI. Thread-safe: one instance serves many
 * concurrent callers. Closing it drains the warm pool and removes the temporary sandboxes it made;
 * named sandboxes are left alone. Closing also closes the backend it was built with.
 *
 * <p>Every backend call goes through one {@link AuditingBackend}, so each operation leaves its audit events
 * (see {@link AuditEvent}) on disk before the caller gets the answer; when they cannot be written the operation
 * is refused with {@code BACKEND_UNAVAILABLE}.
 *
 * <p>Defaults from the configuration: a request without a timeout gets {@code limits.timeout_ms}; output is
 * capped at {@code limits.max_output_bytes} per stream; files at {@code limits.max_file_bytes}. Commands in
 * flight (runs and execs) are bounded by {@code limits.max_concurrent_runs}: excess callers wait up to
 * {@link Builder#admissionWait} and then get {@code BUSY}. In one named sandbox at most
 * {@code limits.max_execs_per_sandbox} commands run at once; the next one gets {@code BUSY} at once.
 *
 * <p>Sandboxes by kind: {@code named} ones are the user's (every operation); {@code run} ones exist while a
 * run lasts ({@link #get}, {@link #list} and {@link #remove} see them); {@code pool} ones are invisible to every
 * named-sandbox operation so a warm sandbox cannot be touched before the one run it serves.
 *
 * <p>At build time the facade reconciles: {@code run} and {@code pool} sandboxes whose owner instance is dead
 * ({@link InstanceId#mayBeAlive}) are removed; named sandboxes are adopted as they are. The same reconcile runs
 * again every {@link Builder#reconcileInterval} (which also drops warm pool members whose container is gone).
 */
public final class AgentKernel implements Sandboxes {
    private static final Logger LOG = LoggerFactory.getLogger(AgentKernel.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final RunListener NO_LISTENER = new RunListener() { };

    private final AgentKernelConfig config;
    private final AuditingBackend backend;
    private final ImageResolver images;
    private final Admission admission;
    private final SandboxExecSlots execSlots;
    /** Runs the periodic reconcile; null when disabled. */
    private final java.util.concurrent.ScheduledExecutorService reconciler;
    private final SandboxPool pool;
    private final java.util.concurrent.ThreadPoolExecutor batchExecutor;
    /** Removes finished temporaries after the answer when {@link Builder#destroyInBackground}; else null. */
    private final java.util.concurrent.ThreadPoolExecutor destroyer;
    private final java.util.concurrent.Semaphore pendingDestroys;
    /** How long {@link #close} waits for cancelled commands to end. */
    public static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final Set<String> temporaries = ConcurrentHashMap.newKeySet();
    private final Set<Cancellation> inFlight = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final int reconciled;
    private volatile boolean closed;

    private AgentKernel(Builder b) {
        this.config = b.config;
        AuditLog log = b.auditLog != null ? b.auditLog
                : b.config.audit().enabled() ? AuditLog.open(b.config.audit().path()) : AuditLog.disabled();
        this.backend = new AuditingBackend(b.backend, log);
        this.images = new ImageResolver(config.images(), config.sandbox().image(), b.imageAlternatives);
        this.admission = new Admission(Math.max(1, config.limits().maxConcurrentRuns()), b.admissionWait);
        this.execSlots = new SandboxExecSlots(Math.max(1, config.limits().maxExecsPerSandbox()));
        AtomicInteger threads = new AtomicInteger();
        int batchThreads = Math.max(1, config.limits().maxConcurrentRuns());
        this.batchExecutor = new java.util.concurrent.ThreadPoolExecutor(batchThreads, batchThreads, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "agentkernel-batch-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.batchExecutor.allowCoreThreadTimeOut(true);
        if (b.destroyInBackground) {
            AtomicInteger destroyThreads = new AtomicInteger();
            this.destroyer = new java.util.concurrent.ThreadPoolExecutor(4, 4, 30, java.util.concurrent.TimeUnit.SECONDS,
                    new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "agentkernel-destroy-" + destroyThreads.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            this.destroyer.allowCoreThreadTimeOut(true);
        } else {
            this.destroyer = null;
        }
        this.pendingDestroys = new java.util.concurrent.Semaphore(Math.max(1, config.limits().maxConcurrentRuns()));
        this.reconciled = reconcile(b.reconcileFilter);
        this.pool = new SandboxPool(backend, config.pool().size(), config.pool().max(), () -> newName("pool"),
                b.poolThreads);
        if (pool.enabled()) {
            pool.warm(defaultPoolKey());
        }
        this.reconciler = startReconciler(b.reconcileInterval, b.reconcileFilter);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Like {@link #run} with events as they happen; cancelling kills the command and removes the sandbox. */
    public RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation) {
        Objects.requireNonNull(request, "request");
        RunListener l = listener == null ? NO_LISTENER : listener;
        Cancellation c = cancellation == null ? Cancellation.create() : cancellation;
        try (InFlight ignored0 = track(c); Admission.Permit ignored = admit("run", null)) {
            ImageResolver.Choice choice = request.image() != null
                    ? images.offlineAlternative(request.image(), backend::imageAvailable)
                    : images.resolve(request.command(), backend::imageAvailable);
            if (choice.note() != null) {
                LOG.info("Image choice: {}", choice.note());
            }
            SandboxPool.Key key = new SandboxPool.Key(choice.image(),
                    request.profile() != null ? request.profile() : config.sandbox().profile(),
                    request.vcpus() != null ? request.vcpus() : config.resources().vcpus(),
                    request.memoryMb() != null ? request.memoryMb() : config.resources().memoryMb());
            ExecRequest exec = limited(new ExecRequest(request.command(), request.env(), request.workdir(),
                    request.timeout(), request.stdin(), 0));

            SandboxInfo sandbox = request.fast() ? pool.claim(key).orElse(null) : null;
            boolean pooled = sandbox != null;
            String name = pooled ? sandbox.name() : newName("run");
            temporaries.add(name);
            boolean exists = pooled;
            try {
                l.onStarted(name, key.image(), choice.note(), pooled);
                l.onProgress(RunListener.Stage.CREATING);
                if (!pooled) {
                    backend.create(new SandboxSpec(name, key.image(), key.vcpus(), key.memoryMb(), key.profile(),
                            Map.of(), Map.of(), SandboxKind.RUN));
                    exists = true;
                }
                l.onProgress(RunListener.Stage.STARTING);
                l.onProgress(RunListener.Stage.EXECUTING);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("run", true);
                details.put("pooled", pooled);
                details.put("image", key.image());
                if (choice.note() != null) {
                    details.put("image_note", choice.note());
                }
                ExecResult result = backend.exec(name, exec, l, c, details);
                l.onDone(result);
                return new RunResult(name, key.image(), choice.note(), pooled, result);
            } finally {
                if (exists) {
                    disposeTemporary(name);
                } else {
                    temporaries.remove(name);
                }
            }
        }
    }

    /** Runs every request in its own sandbox with bounded parallelism; results in input order. */
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        if (requests.size() > Validation.MAX_BATCH) {
            throw Validation.invalid("Invalid commands: at most " + Validation.MAX_BATCH + " commands in one batch, got "
                    + requests.size());
        }
        ensureOpen();
        List<Future<RunResult>> futures = new ArrayList<>();
        for (RunRequest r : requests) {
            futures.add(batchExecutor.submit(() -> run(r)));
        }
        List<BatchOutcome> out = new ArrayList<>();
        for (Future<RunResult> f : futures) {
            try {
                out.add(BatchOutcome.ok(f.get()));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                out.add(BatchOutcome.failed(cause instanceof AgentKernelException ake ? ake
                        : new AgentKernelException(ErrorCode.INTERNAL, "The command could not be run", cause)));
            } catch (java.util.concurrent.CancellationException e) {
                out.add(BatchOutcome.failed(new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE,
                        "agentkernel is shutting down")));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                futures.forEach(x -> x.cancel(true));
                throw new AgentKernelException(ErrorCode.INTERNAL, "Interrupted while waiting for the batch", e);
            }
        }
        return out;
    }

    /**
     * Creates and starts a named sandbox. What the spec leaves null is resolved here, and only here, from the
     * configuration: the image ({@code [sandbox] image}), the profile ({@code [sandbox] profile}) and the limits
     * ({@code [resources]}). The kind is always {@code named}. An image that is unavailable offline is replaced by its configured local
     * alternative (see {@link ImageResolver#offlineAlternative}); the returned info shows the image used and the
     * audit event carries {@code image_note}.
     */
    public SandboxInfo create(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        SandboxSpec s = spec.withKind(SandboxKind.NAMED).withDefaults(config.sandbox().profile(),
                config.resources().vcpus(), config.resources().memoryMb());
        ImageResolver.Choice choice = images.offlineAlternative(
                s.image() == null ? config.sandbox().image() : s.image(), backend::imageAvailable);
        if (choice.note() != null) {
            LOG.info("Image choice for sandbox {}: {}", s.name(), choice.note());
        }
        return backend.create(s.withImage(choice.image()),
                choice.note() == null ? Map.of() : Map.of("image_note", choice.note()));
    }

    /** A named sandbox, or a temporary one while its run lasts. */
    public SandboxInfo get(String name) {
        return visible(name, false);
    }

    /** Named sandboxes (and temporary ones while they run); pool members are not listed. */
    public List<SandboxInfo> list() {
        ensureOpen();
        return backend.list().stream().filter(s -> s.kind() != SandboxKind.POOL).toList();
    }

    public ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        Objects.requireNonNull(request, "request");
        RunListener l = listener == null ? NO_LISTENER : listener;
        Cancellation c = cancellation == null ? Cancellation.create() : cancellation;
        visible(name, true);
        try (InFlight ignored0 = track(c); Admission.Permit perSandbox = admitExec(name);
             Admission.Permit ignored = admit("exec", name)) {
            l.onProgress(RunListener.Stage.EXECUTING);
            ExecResult result = backend.exec(name, limited(request), l, c);
            l.onDone(result);
            return result;
        }
    }

    public SandboxInfo stop(String name) {
        visible(name, true);
        return backend.stop(name);
    }

    public SandboxInfo start(String name) {
        visible(name, true);
        return backend.start(name);
    }

    public void remove(String name) {
        visible(name, false);
        backend.remove(name);
    }

    public FileContent readFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        visible(name, true);
        return backend.readFile(name, normal, config.limits().maxFileBytes());
    }

    /** Writes a file, creating parents; returns the normalised path and size written. */
    public FileContent writeFile(String name, String path, byte[] content) {
        FileContent file = new FileContent(path, content);
        if (file.size() > config.limits().maxFileBytes()) {
            throw new AgentKernelException.TooLargeException("File content is larger than "
                    + config.limits().maxFileBytes() + " bytes");
        }
        visible(name, true);
        backend.writeFile(name, file);
        return file;
    }

    /** Returns the normalised path deleted. */
    public String deleteFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        visible(name, true);
        backend.deleteFile(name, normal);
        return normal;
    }

    /** Audit events of one sandbox (exact name), sorted by time; readable after the sandbox is removed. */
    public List<AuditEvent> logs(String name, LogQuery query) {
        Validation.sandboxName(name);
        return backend.log().query(name, query == null ? LogQuery.ALL : query);
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
        return backend.log().verify();
    }

    /** Whether audit events are being recorded. */
    public boolean auditEnabled() {
        return backend.log().enabled();
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

    public AgentKernelConfig config() {
        return config;
    }

    /** Sandboxes of dead instances removed when this facade was built. */
    public int reconciledAtStart() {
        return reconciled;
    }

    /**
     * Cancels the commands in flight (their process trees are killed), waits for them to end (at most
     * {@link #CLOSE_WAIT}), drains the pool, removes the temporary sandboxes, closes the audit log and the backend.
     */
    @Override
    public void close() {
        synchronized (inFlight) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (reconciler != null) {
            reconciler.shutdownNow();
        }
        List.copyOf(inFlight).forEach(Cancellation::cancel);
        // Batch items not started yet are cancelled, so batch callers waiting on them get an answer.
        // Running ones end through their cancellation; threads are not interrupted (I/O channels close on it).
        batchExecutor.shutdown();
        List<Runnable> queued = new ArrayList<>();
        batchExecutor.getQueue().drainTo(queued);
        queued.forEach(r -> {
            if (r instanceof Future<?> f) {
                f.cancel(false);
            }
        });
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        synchronized (inFlight) {
            while (!inFlight.isEmpty() && deadline - System.nanoTime() > 0) {
                try {
                    inFlight.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (destroyer != null) {
            destroyer.shutdown();
            try {
                destroyer.awaitTermination(CLOSE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pool.close();
        for (String name : List.copyOf(temporaries)) {
            removeTemporary(name);
        }
        backend.log().close();
        backend.close();
    }

    private java.util.concurrent.ScheduledExecutorService startReconciler(Duration interval,
                                                                          Predicate<SandboxInfo> filter) {
        if (interval.isZero()) {
            return null;
        }
        java.util.concurrent.ScheduledExecutorService s = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> {
                    Thread t = new Thread(r, "agentkernel-reconcile");
                    t.setDaemon(true);
                    return t;
                });
        long ms = Math.max(1, interval.toMillis());
        s.scheduleWithFixedDelay(() -> periodicReconcile(filter), ms, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        return s;
    }

    /** One periodic pass; never throws (an exception would cancel the schedule). */
    private void periodicReconcile(Predicate<SandboxInfo> filter) {
        if (closed) {
            return;
        }
        try {
            reconcile(filter);
            pool.prune();
        } catch (RuntimeException e) {
            LOG.warn("Periodic reconcile failed: {}", e.toString());
        }
    }

    private int reconcile(Predicate<SandboxInfo> filter) {
        int removed = 0;
        List<SandboxInfo> all;
        try {
            all = backend.list();
        } catch (RuntimeException e) {
            LOG.warn("Reconcile skipped: cannot list sandboxes: {}", e.getMessage());
            return 0;
        }
        for (SandboxInfo s : all) {
            if (s.kind() == SandboxKind.NAMED || InstanceId.mayBeAlive(s.owner()) || !filter.test(s)) {
                continue; // named sandboxes are adopted; live owners keep theirs
            }
            try {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("reason", "reconcile");
                details.put("kind", s.kind().wireName());
                if (s.owner() != null) {
                    details.put("owner", s.owner());
                }
                backend.remove(s.name(), details);
                removed++;
            } catch (AgentKernelException.NotFoundException e) {
                // another instance reaped it first
            } catch (RuntimeException e) {
                LOG.warn("Reconcile could not remove {}: {}", s.name(), e.getMessage());
            }
        }
        if (removed > 0) {
            LOG.info("Reconcile removed {} sandboxes of dead instances", removed);
        }
        return removed;
    }

    private SandboxPool.Key defaultPoolKey() {
        return new SandboxPool.Key(config.sandbox().image(), config.sandbox().profile(), config.resources().vcpus(),
                config.resources().memoryMb());
    }

    /**
     * Applies the configured default timeout and output cap. A request at the built-in output default did not
     * choose a cap (0 becomes that default), so it gets the configured one; a larger one is lowered to it.
     */
    private ExecRequest limited(ExecRequest r) {
        ExecRequest out = r.timeout() == null ? r.withTimeout(config.limits().timeout()) : r;
        long cap = config.limits().maxOutputBytes();
        boolean unchosen = out.maxOutputBytes() == ExecRequest.DEFAULT_MAX_OUTPUT_BYTES;
        return cap > 0 && (unchosen || out.maxOutputBytes() > cap) ? out.withMaxOutputBytes(cap) : out;
    }

    private Admission.Permit admit(String operation, String sandbox) {
        try {
            return admission.acquire();
        } catch (AgentKernelException.BusyException e) {
            throw refused(e, operation, sandbox, "busy");
        }
    }

    private Admission.Permit admitExec(String sandbox) {
        try {
            return execSlots.acquire(sandbox);
        } catch (AgentKernelException.BusyException e) {
            throw refused(e, "exec", sandbox, "sandbox_busy");
        }
    }

    /** Audits a {@code BUSY} refusal and returns it to throw. */
    private AgentKernelException.BusyException refused(AgentKernelException.BusyException e, String operation,
                                                       String sandbox, String reason) {
        try {
            backend.record("request_refused", sandbox, Map.of("operation", operation, "reason", reason));
        } catch (RuntimeException auditFailure) {
            e.addSuppressed(auditFailure);
        }
        return e;
    }

    /** The sandbox if a caller may see it; {@code namedOnly} for operations on a sandbox's inside or state. */
    private SandboxInfo visible(String name, boolean namedOnly) {
        Validation.sandboxName(name);
        ensureOpen();
        SandboxInfo info = backend.inspect(name).orElseThrow(() -> AgentKernelException.sandboxNotFound(name));
        if (info.kind() == SandboxKind.POOL || namedOnly && info.kind() != SandboxKind.NAMED) {
            throw AgentKernelException.sandboxNotFound(name);
        }
        return info;
    }

    /**
     * Removes a finished run's sandbox: now, or after the answer when destroying in the background. The background
     * is bounded: with {@code max_concurrent_runs} removals pending, the run removes its own sandbox itself.
     */
    private void disposeTemporary(String name) {
        if (destroyer != null && !closed && pendingDestroys.tryAcquire()) {
            try {
                destroyer.execute(() -> {
                    try {
                        removeTemporary(name);
                    } finally {
                        pendingDestroys.release();
                    }
                });
                return;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pendingDestroys.release();
            }
        }
        removeTemporary(name);
    }

    private void removeTemporary(String name) {
        try {
            backend.remove(name);
            temporaries.remove(name);
        } catch (AgentKernelException.NotFoundException e) {
            temporaries.remove(name); // never created, or removed by someone else
        } catch (RuntimeException e) {
            LOG.warn("Could not remove temporary sandbox {} (removed at close or by the next reconcile): {}", name,
                    e.getMessage());
        }
    }

    /** A command in flight: registered so that {@link #close} can cancel it and wait for it. */
    private interface InFlight extends AutoCloseable {
        @Override
        void close();
    }

    private InFlight track(Cancellation c) {
        synchronized (inFlight) {
            ensureOpen(); // checked under the lock: close either sees this command or this command sees close
            inFlight.add(c);
        }
        return () -> {
            synchronized (inFlight) {
                inFlight.remove(c);
                inFlight.notifyAll();
            }
        };
    }

    private void ensureOpen() {
        if (closed) {
            throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "agentkernel is shutting down");
        }
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
        private Duration admissionWait = Duration.ofSeconds(10);
        private Predicate<SandboxInfo> reconcileFilter = s -> true;
        private Duration reconcileInterval = Duration.ofMinutes(5);
        private int poolThreads = 2;
        private boolean destroyInBackground;

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

        /** How long a command waits for a free slot before {@code BUSY} (default 10 s). */
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

        /** Threads that create pool members in the background (default 2). */
        public Builder poolThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("poolThreads must be at least 1");
            }
            this.poolThreads = threads;
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
