package dev.agentkernel.core.audit;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.CallContext;
import dev.agentkernel.core.ForwardingBackend;
import dev.agentkernel.core.KernelMetrics;
import dev.agentkernel.core.internal.DaemonThreads;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.VolumeMount;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import org.slf4j.LoggerFactory;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Validation;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import dev.agentkernel.api.DetachedCommand;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * The one place audit events of sandbox operations are written: a {@link Backend} decorator. Every mutation
 * and every file read or command is recorded after the backend answered and before the caller gets that answer;
 * a failed operation is recorded as {@code operation_failed}. Reads of state (inspect, list, health) are not.
 * A command is also recorded before it starts ({@code command_started}), so a command is never run unrecorded.
 *
 * <p>Events: {@code sandbox_created}, {@code sandbox_started}, {@code sandbox_stopped}, {@code sandbox_removed},
 * {@code command_started}, {@code command_executed}, {@code pty_opened}, {@code pty_closed}, {@code file_read},
 * {@code file_written},
 * {@code file_deleted}, {@code detached_started}, {@code detached_output_read}, {@code detached_killed},
 * {@code snapshot_taken}, {@code snapshot_deleted}, {@code volume_created}, {@code volume_removed},
 * {@code port_connection_closed}, {@code operation_failed}; the kernel's {@code sandbox_extended},
 * {@code port_exposed}, {@code port_unexposed}, {@code port_url_issued} and {@code sandbox_removed} with
 * {@code reason: expired}; refusals through {@link #record} ({@code auth_failed},
 * {@code request_refused}, ...).
 *
 * <p>Fail closed: when the event cannot be written the caller gets {@link AuditLog#unwritable} instead of the
 * answer, so nothing acknowledged is unrecorded. A sandbox created but not recordable is removed again.
 *
 * <p>What is recorded: argv, exit code, duration, timeout and truncation of commands; the names (never the
 * values) of exec environment variables and the size of stdin; path and size of files (never their content);
 * image, profile, limits, kind and owner of created sandboxes; the caller's {@code request_id} and {@code traceparent}.
 */
public final class AuditingBackend extends ForwardingBackend {
    /** Writes {@code pty_closed} and {@code port_connection_closed}: one thread, idle threads end, none at first. */
    private static final Executor PTY_AUDIT = DaemonThreads.executor("agentkernel-pty-audit", 1, Duration.ofSeconds(10));
    private final AuditLog log;
    private final KernelMetrics metrics;

    public AuditingBackend(Backend delegate, AuditLog log) {
        this(delegate, log, KernelMetrics.NONE);
    }

    /** @param metrics hears how long each event took to be on disk */
    public AuditingBackend(Backend delegate, AuditLog log, KernelMetrics metrics) {
        super(delegate);
        this.log = log;
        this.metrics = metrics;
    }

    public AuditLog log() {
        return log;
    }

    /**
     * Records an event that is not a backend operation (refusals: auth, busy, policy). Every event carries the
     * {@code request_id} and {@code traceparent} of the {@link CallContext} it was written in, if any.
     */
    public void record(String event, String sandbox, Map<String, Object> details) {
        try {
            long start = System.nanoTime();
            log.record(new AuditEvent(Instant.now(), event, sandbox, withCaller(details)));
            metrics.auditAppend(System.nanoTime() - start);
        } catch (AgentKernelException e) {
            throw e;
        } catch (RuntimeException e) {
            throw AuditLog.unwritable(e);
        }
    }

    private static Map<String, Object> withCaller(Map<String, Object> details) {
        CallContext call = CallContext.current();
        if (call == null || details.containsKey("request_id")) {
            return details;
        }
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.put("request_id", call.requestId());
        if (call.traceparent() != null) {
            d.put("traceparent", call.traceparent());
        }
        return d;
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return create(spec, Map.of());
    }

    /** Creates and records with extra details (e.g. {@code image_note}). */
    public SandboxInfo create(SandboxSpec spec, Map<String, Object> extra) {
        return recordCreate(spec, extra, () -> delegate.create(spec));
    }

    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        return create(spec, options, Map.of());
    }

    /**
     * Creates with options and records the volumes (name, path, mode) and the secret files' keys: never the
     * secrets' values, which the backend never sees either.
     */
    public SandboxInfo create(SandboxSpec spec, CreateOptions options, Map<String, Object> extra) {
        Map<String, Object> d = new LinkedHashMap<>();
        if (!options.volumes().isEmpty()) {
            d.put("volumes", options.volumes().stream().map(VolumeMount::toString).toList());
        }
        if (!options.secretFiles().isEmpty()) {
            d.put("secret_files", options.secretFiles());
        }
        d.putAll(extra);
        return recordCreate(spec, d, () -> delegate.create(spec, options));
    }

    private SandboxInfo recordCreate(SandboxSpec spec, Map<String, Object> extra, Op<SandboxInfo> create) {
        SandboxInfo info = attempt("create", spec.name(), create);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", spec.kind().wireName());
        d.put("image", spec.image());
        d.put("profile", spec.profile().wireName());
        d.put("vcpus", spec.vcpus());
        d.put("memory_mb", spec.memoryMb());
        if (!spec.env().isEmpty()) {
            d.put("env_keys", List.copyOf(new TreeSet<>(spec.env().keySet())));
        }
        if (info.owner() != null) {
            d.put("owner", info.owner());
        }
        if (info.id() != null) {
            d.put("id", info.id());
        }
        d.putAll(extra);
        try {
            record("sandbox_created", spec.name(), d);
        } catch (AgentKernelException e) {
            try {
                delegate.remove(spec.name()); // not recorded, so not kept
            } catch (RuntimeException ignored) {
                // the reconcile of a later start removes it if it is a temporary
            }
            throw e;
        }
        return info;
    }

    // ---- snapshots and volumes: recorded under the sandbox they come from (snapshots) or none (volumes)

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        SnapshotInfo snap = attempt("snapshot", sandbox, () -> delegate.takeSnapshot(sandbox, name));
        record("snapshot_taken", sandbox, Map.of("snapshot", snap.name(), "image", snap.imageTag()));
        return snap;
    }

    @Override
    public void deleteSnapshot(String name) {
        attempt("delete_snapshot", null, () -> {
            delegate.deleteSnapshot(name);
            return null;
        });
        record("snapshot_deleted", null, Map.of("snapshot", name));
    }

    @Override
    public VolumeInfo createVolume(String name) {
        VolumeInfo v = attempt("create_volume", null, () -> delegate.createVolume(name));
        record("volume_created", null, Map.of("volume", name));
        return v;
    }

    @Override
    public void removeVolume(String name) {
        attempt("remove_volume", null, () -> {
            delegate.removeVolume(name);
            return null;
        });
        record("volume_removed", null, Map.of("volume", name));
    }

    @Override
    public SandboxInfo start(String name) {
        SandboxInfo info = attempt("start", name, () -> delegate.start(name));
        record("sandbox_started", name, Map.of());
        return info;
    }

    @Override
    public SandboxInfo stop(String name) {
        SandboxInfo info = attempt("stop", name, () -> delegate.stop(name));
        record("sandbox_stopped", name, Map.of());
        return info;
    }

    @Override
    public void remove(String name) {
        remove(name, Map.of());
    }

    /** Removes with extra details on the event (e.g. {@code reason}). */
    public void remove(String name, Map<String, Object> details) {
        attempt("remove", name, () -> {
            delegate.remove(name);
            return null;
        });
        record("sandbox_removed", name, details);
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        return exec(name, request, listener, cancellation, Map.of());
    }

    /** Runs a command and records it with extra details (e.g. {@code pooled} for runs). */
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation,
                           Map<String, Object> extra) {
        // The intent first: a command is never run unrecorded, even if this process dies while it runs.
        Map<String, Object> intent = new LinkedHashMap<>();
        intent.put("argv", request.argv());
        if (request.sudo()) {
            intent.put("sudo", true);
        }
        intent.putAll(extra);
        record("command_started", name, intent);
        ExecResult result = attempt("exec", name, () -> delegate.exec(name, request, listener, cancellation));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("argv", request.argv());
        if (request.sudo()) {
            d.put("sudo", true);
        }
        d.put("exit_code", result.exitCode());
        d.put("duration_ms", result.duration().toMillis());
        if (result.timedOut()) {
            d.put("timed_out", true);
        }
        if (result.truncated()) {
            d.put("truncated", true);
        }
        if (request.workdir() != null) {
            d.put("workdir", request.workdir());
        }
        if (!request.env().isEmpty()) {
            d.put("env_keys", List.copyOf(new TreeSet<>(request.env().keySet())));
        }
        if (request.stdin() != null) {
            d.put("stdin_bytes", request.stdin().length);
        }
        d.putAll(extra);
        record("command_executed", name, d);
        return result;
    }

    /**
     * A detached command is recorded like any command: its intent ({@code command_started}, with the id) before
     * it starts, {@code detached_started} with its pid once it runs; {@code detached_killed} when killed.
     */
    @Override
    public DetachedCommand execDetached(String name, String id, ExecRequest request) {
        Map<String, Object> intent = new LinkedHashMap<>();
        intent.put("argv", request.argv());
        intent.put("detached_id", id);
        if (request.sudo()) {
            intent.put("sudo", true);
        }
        record("command_started", name, intent);
        DetachedCommand c = attempt("exec_detached", name, () -> delegate.execDetached(name, id, request));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("argv", request.argv());
        d.put("detached_id", id);
        d.put("pid", c.pid());
        if (request.workdir() != null) {
            d.put("workdir", request.workdir());
        }
        if (!request.env().isEmpty()) {
            d.put("env_keys", List.copyOf(new TreeSet<>(request.env().keySet())));
        }
        record("detached_started", name, d);
        return c;
    }

    @Override
    public byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        byte[] out = attempt("detached_logs", name, () -> delegate.detachedLogs(name, id, stream));
        record("detached_output_read", name, Map.of("detached_id", id, "stream", stream.wireName(), "size", out.length));
        return out;
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        DetachedCommand c = attempt("detached_kill", name, () -> delegate.detachedKill(name, id));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("detached_id", id);
        d.put("argv", c.command());
        d.put("exit_code", c.exitCode());
        record("detached_killed", name, d);
        return c;
    }

    /**
     * {@code pty_opened} before the terminal starts (as {@code command_started}), {@code pty_closed} with its exit
     * status and duration when it ends, written off the thread that reports the end (the agent's reader). The
     * keystrokes and the output are never recorded.
     */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("argv", request.command());
        d.put("rows", request.rows());
        d.put("cols", request.cols());
        if (request.workdir() != null) {
            d.put("workdir", request.workdir());
        }
        if (!request.env().isEmpty()) {
            d.put("env_keys", List.copyOf(new TreeSet<>(request.env().keySet())));
        }
        CallContext call = CallContext.current();
        if (call != null) {
            d.put("request_id", call.requestId()); // pty_closed is written on another thread: carry it along
        }
        record("pty_opened", name, d);
        long started = System.nanoTime();
        PtySession session = attempt("open_pty", name, () -> delegate.openPty(name, request, listener));
        session.exitCode().whenCompleteAsync((code, error) -> {
            Map<String, Object> closed = new LinkedHashMap<>();
            closed.put("argv", request.command());
            closed.put("exit_code", code == null ? -1 : code);
            closed.put("duration_ms", (System.nanoTime() - started) / 1_000_000);
            if (call != null) {
                closed.put("request_id", call.requestId());
            }
            try {
                record("pty_closed", name, closed);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(AuditingBackend.class).error("Could not audit pty_closed of sandbox '{}'", name, e);
            }
        }, PTY_AUDIT);
        return session;
    }

    /**
     * {@code port_connection_closed} once per connection when it ends (port, bytes each way, duration, error),
     * written off the thread that reports the end, as {@code pty_closed}. A connection that cannot be made is
     * {@code operation_failed}; the bytes are never recorded.
     */
    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        CallContext call = CallContext.current();
        Map<String, Object> context = call == null ? Map.of() : Map.of("request_id", call.requestId());
        AuditedPortConnection c = new AuditedPortConnection(port, listener, context, PTY_AUDIT, d -> {
            try {
                record("port_connection_closed", name, d);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(AuditingBackend.class).error(
                        "Could not audit port_connection_closed of sandbox '{}'", name, e);
            }
        });
        c.delegate = attempt("open_port", name, () -> delegate.openPort(name, port, c));
        return c;
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        FileContent file = attempt("read_file", name, () -> delegate.readFile(name, path, maxBytes));
        record("file_read", name, Map.of("path", file.path(), "size", file.size()));
        return file;
    }

    @Override
    public void writeFile(String name, FileContent file) {
        attempt("write_file", name, () -> {
            delegate.writeFile(name, file);
            return null;
        });
        record("file_written", name, Map.of("path", file.path(), "size", file.size()));
    }

    @Override
    public void deleteFile(String name, String path) {
        attempt("delete_file", name, () -> {
            delegate.deleteFile(name, path);
            return null;
        });
        record("file_deleted", name, Map.of("path", Validation.sandboxPath(path)));
    }

    private interface Op<T> {
        T call();
    }

    /** Runs the operation; a failure is recorded (best effort: the caller gets the original error). */
    private <T> T attempt(String operation, String sandbox, Op<T> op) {
        try {
            return op.call();
        } catch (RuntimeException e) {
            ErrorCode code = e instanceof AgentKernelException ake ? ake.code() : ErrorCode.INTERNAL;
            try {
                record("operation_failed", sandbox, Map.of("operation", operation, "code", code.code()));
            } catch (RuntimeException auditFailure) {
                e.addSuppressed(auditFailure);
            }
            throw e;
        }
    }
}
