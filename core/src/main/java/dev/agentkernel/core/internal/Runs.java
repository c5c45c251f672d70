package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.CallContext;
import dev.agentkernel.core.audit.AuditingBackend;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.image.ImageResolver;
import dev.agentkernel.core.pool.SandboxPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;

/**
 * Runs: a command in a temporary sandbox (a warm one from the pool when {@code fast}) that is removed afterwards,
 * and batches of them on a bounded executor. The image is resolved (auto-detected or its offline alternative),
 * the limits and profile default to the configuration, the listener hears every stage.
 */
public final class Runs {
    private static final Logger LOG = LoggerFactory.getLogger(Runs.class);
    private static final RunListener SILENT = new RunListener() { };

    private final AgentKernelConfig config;
    private final AuditingBackend backend;
    private final ImageResolver images;
    private final SandboxPool pool;
    private final TemporarySandboxes temporaries;
    private final Gate gate;
    private final InFlightRegistry inFlight;
    private final CommandLimits limits;
    private final Supplier<String> runNames;
    private final ThreadPoolExecutor batchExecutor;

    public Runs(AgentKernelConfig config, AuditingBackend backend, ImageResolver images, SandboxPool pool,
                TemporarySandboxes temporaries, Gate gate, InFlightRegistry inFlight, Supplier<String> runNames) {
        this.config = config;
        this.backend = backend;
        this.images = images;
        this.pool = pool;
        this.temporaries = temporaries;
        this.gate = gate;
        this.inFlight = inFlight;
        this.limits = new CommandLimits(config.limits());
        this.runNames = runNames;
        this.batchExecutor = DaemonThreads.executor("agentkernel-batch",
                Math.max(1, config.limits().maxConcurrentRuns()), Duration.ofSeconds(30));
    }

    /** The warm pool's key for the configured defaults (what a run without options uses). */
    public SandboxPool.Key defaultKey() {
        return new SandboxPool.Key(config.sandbox().image(), config.sandbox().profile(), config.resources().vcpus(),
                config.resources().memoryMb());
    }

    public RunResult run(RunRequest request, RunListener l, Cancellation c) {
        ExecRequest exec = limits.apply(new ExecRequest(request.command(), request.env(), request.workdir(),
                request.timeout(), request.stdin(), 0));
        try (InFlightRegistry.Registration ignored0 = inFlight.track(c); Admission.Permit ignored = gate.run()) {
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

            SandboxInfo sandbox = request.fast() ? pool.claim(key, gate.queued()).orElse(null) : null;
            boolean pooled = sandbox != null;
            String name = pooled ? sandbox.name() : runNames.get();
            temporaries.add(name);
            boolean exists = pooled;
            try {
                l.onStarted(name, key.image(), choice.note(), pooled);
                l.onProgress(RunListener.Stage.CREATING);
                if (!pooled) {
                    try (SandboxPool.Foreground waitedFor = pool.foreground()) {
                        backend.create(new SandboxSpec(name, key.image(), key.vcpus(), key.memoryMb(), key.profile(),
                                Map.of(), Map.of(), SandboxKind.RUN));
                    }
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
            } catch (AgentKernelException e) {
                throw toldToTheCaller(e, name);
            } finally {
                if (exists) {
                    temporaries.dispose(name);
                } else {
                    temporaries.forget(name);
                }
            }
        }
    }

    /**
     * A failure of a run's own sandbox as its caller hears it. The caller never named that sandbox (an internal
     * {@code run-} or {@code pool-} name), so the message does not either. And a temporary sandbox that stopped, broke
     * or vanished under the run is the service's trouble, not a conflict of the caller's making: it is
     * {@code BACKEND_UNAVAILABLE} (503, retry: the next run gets a fresh sandbox), never a 409 about a name the caller
     * cannot act on.
     */
    static AgentKernelException toldToTheCaller(AgentKernelException e, String sandbox) {
        if (e instanceof AgentKernelException.SandboxBrokenException broken) {
            return new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "The run's sandbox broke (" + broken.reason()
                    + "); retry the run", e);
        }
        String message = String.valueOf(e.getMessage());
        if (!message.contains(sandbox)) {
            return e; // about something else (an image, the engine, the request)
        }
        ErrorCode code = e.code() == ErrorCode.CONFLICT || e.code() == ErrorCode.NOT_FOUND
                ? ErrorCode.BACKEND_UNAVAILABLE : e.code();
        String told = message.replace("Sandbox '" + sandbox + "'", "The run's sandbox")
                .replace("sandbox '" + sandbox + "'", "the run's sandbox")
                .replace("'" + sandbox + "'", "the run's sandbox")
                .replace(sandbox, "the run's sandbox");
        return new AgentKernelException(code, told, e);
    }

    /** Every request in its own sandbox with bounded parallelism; results in input order. */
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        if (requests.size() > Validation.MAX_BATCH) {
            throw Validation.invalid("Invalid commands: at most " + Validation.MAX_BATCH + " commands in one batch, got "
                    + requests.size());
        }
        for (int i = 0; i < requests.size(); i++) {
            limits.checkTimeout(requests.get(i).timeout(), "commands[" + i + "].timeout_ms");
        }
        inFlight.ensureOpen();
        List<Future<RunResult>> futures = new ArrayList<>();
        for (RunRequest r : requests) {
            futures.add(batchExecutor.submit(CallContext.carried(() -> run(r, SILENT, Cancellation.create()))));
        }
        List<BatchOutcome> out = new ArrayList<>();
        for (Future<RunResult> f : futures) {
            try {
                out.add(BatchOutcome.ok(f.get()));
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                out.add(BatchOutcome.failed(cause instanceof AgentKernelException ake ? ake
                        : new AgentKernelException(ErrorCode.INTERNAL, "The command could not be run", cause)));
            } catch (CancellationException e) {
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
     * Stops taking batch items: those not started yet are cancelled, so batch callers waiting on them get an
     * answer. Running ones end through their cancellation; threads are not interrupted (I/O channels close on it).
     */
    public void stopBatches() {
        batchExecutor.shutdown();
        List<Runnable> queued = new ArrayList<>();
        batchExecutor.getQueue().drainTo(queued);
        queued.forEach(r -> {
            if (r instanceof Future<?> f) {
                f.cancel(false);
            }
        });
    }
}
