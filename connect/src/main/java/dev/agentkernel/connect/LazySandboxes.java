package dev.agentkernel.connect;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.Cancellation;
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
import java.time.Duration;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Opens the real {@link Sandboxes} on first use (the one decorator of the interface). A failed opening is the
 * failure of that call and is tried again on the next one; once closed, calls fail instead of opening again.
 */
final class LazySandboxes implements Sandboxes {
    private static final Logger LOG = LoggerFactory.getLogger(LazySandboxes.class);

    private final Supplier<Sandboxes> opener;
    private Sandboxes delegate;
    private boolean closed;

    LazySandboxes(Supplier<Sandboxes> opener) {
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /** Starts opening now on a background thread, so the first call does not wait; a failure is only logged. */
    LazySandboxes openInBackground() {
        Thread t = new Thread(() -> {
            try {
                delegate();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("Sandboxes not ready yet ({}); the next call tries again", e.getMessage());
            }
        }, "agentkernel-open");
        t.setDaemon(true);
        t.start();
        return this;
    }

    private synchronized Sandboxes delegate() {
        if (closed) {
            throw new AgentKernelException(ErrorCode.BACKEND_UNAVAILABLE, "agentkernel is shutting down");
        }
        if (delegate == null) {
            delegate = opener.get();
        }
        return delegate;
    }

    @Override
    public RunResult run(RunRequest request) {
        return delegate().run(request);
    }

    @Override
    public RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation) {
        return delegate().runStreaming(request, listener, cancellation);
    }

    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        return delegate().openPty(name, request, listener);
    }

    @Override
    public ExposedPort exposePort(String name, int port) {
        return delegate().exposePort(name, port);
    }

    @Override
    public void unexposePort(String name, int port) {
        delegate().unexposePort(name, port);
    }

    @Override
    public List<ExposedPort> exposedPorts(String name) {
        return delegate().exposedPorts(name);
    }

    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        return delegate().openPort(name, port, listener);
    }

    @Override
    public PortUrl portUrl(String name, int port, Duration ttl) {
        return delegate().portUrl(name, port, ttl);
    }

    @Override
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        return delegate().batch(requests);
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return delegate().create(spec);
    }

    @Override
    public SandboxInfo get(String name) {
        return delegate().get(name);
    }

    @Override
    public List<SandboxInfo> list() {
        return delegate().list();
    }

    @Override
    public ExecResult exec(String name, ExecRequest request) {
        return delegate().exec(name, request);
    }

    @Override
    public ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        return delegate().execStreaming(name, request, listener, cancellation);
    }

    @Override
    public SandboxInfo start(String name) {
        return delegate().start(name);
    }

    @Override
    public SandboxInfo stop(String name) {
        return delegate().stop(name);
    }

    @Override
    public void remove(String name) {
        delegate().remove(name);
    }

    @Override
    public FileContent readFile(String name, String path) {
        return delegate().readFile(name, path);
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        return delegate().writeFile(name, path, content);
    }

    @Override
    public String deleteFile(String name, String path) {
        return delegate().deleteFile(name, path);
    }

    @Override
    public List<AuditEvent> logs(String name, LogQuery query) {
        return delegate().logs(name, query);
    }

    @Override
    public PoolStats poolStats() {
        return delegate().poolStats();
    }

    @Override
    public BackendHealth health() {
        return delegate().health();
    }

    @Override
    public SandboxInfo getByUuid(String uuid) {
        return delegate().getByUuid(uuid);
    }

    @Override
    public java.time.Instant extend(String name, java.time.Duration by) {
        return delegate().extend(name, by);
    }

    @Override
    public int writeFiles(String name, java.util.Map<String, byte[]> files) {
        return delegate().writeFiles(name, files);
    }

    @Override
    public dev.agentkernel.api.DetachedCommand execDetached(String name, ExecRequest request) {
        return delegate().execDetached(name, request);
    }

    @Override
    public List<dev.agentkernel.api.DetachedCommand> detachedList(String name) {
        return delegate().detachedList(name);
    }

    @Override
    public dev.agentkernel.api.DetachedCommand detachedStatus(String name, String id) {
        return delegate().detachedStatus(name, id);
    }

    @Override
    public String detachedLogs(String name, String id, dev.agentkernel.api.DetachedCommand.Stream stream) {
        return delegate().detachedLogs(name, id, stream);
    }

    @Override
    public dev.agentkernel.api.DetachedCommand detachedKill(String name, String id) {
        return delegate().detachedKill(name, id);
    }

    // ---- create options, snapshots, volumes, secrets

    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        return delegate().create(spec, options);
    }

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        return delegate().takeSnapshot(sandbox, name);
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return delegate().listSnapshots();
    }

    @Override
    public SnapshotInfo getSnapshot(String name) {
        return delegate().getSnapshot(name);
    }

    @Override
    public void deleteSnapshot(String name) {
        delegate().deleteSnapshot(name);
    }

    @Override
    public SandboxInfo restoreSnapshot(String name, String asName) {
        return delegate().restoreSnapshot(name, asName);
    }

    @Override
    public VolumeInfo createVolume(String name) {
        return delegate().createVolume(name);
    }

    @Override
    public List<VolumeInfo> listVolumes() {
        return delegate().listVolumes();
    }

    @Override
    public void removeVolume(String name) {
        delegate().removeVolume(name);
    }

    @Override
    public void setSecret(String key, String value) {
        delegate().setSecret(key, value);
    }

    @Override
    public List<String> listSecrets() {
        return delegate().listSecrets();
    }

    @Override
    public void removeSecret(String key) {
        delegate().removeSecret(key);
    }

    /** Closes what was opened, once. */
    @Override
    public void close() {
        Sandboxes toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = delegate;
        }
        if (toClose != null) {
            toClose.close();
        }
    }
}
