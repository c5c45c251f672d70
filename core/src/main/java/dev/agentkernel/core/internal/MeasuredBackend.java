package dev.agentkernel.core.internal;

import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.ForwardingBackend;
import dev.agentkernel.core.KernelMetrics;

import dev.agentkernel.api.DetachedCommand;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Times every engine call (the raw backend, below the capability guard and the audit) and reports it to
 * {@link KernelMetrics} by operation: what the engine costs, apart from what the kernel adds around it. Identity,
 * capabilities and leases are forwarded unmeasured (no engine work, or periodic and small).
 */
public final class MeasuredBackend extends ForwardingBackend {
    private final KernelMetrics metrics;

    public MeasuredBackend(Backend delegate, KernelMetrics metrics) {
        super(delegate);
        this.metrics = metrics;
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            T result = call.get();
            ok = true;
            return result;
        } finally {
            metrics.engineCall(operation, System.nanoTime() - start, ok);
        }
    }

    private void timed(String operation, Runnable call) {
        timed(operation, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return timed("create", () -> delegate.create(spec));
    }

    @Override
    public SandboxInfo create(SandboxSpec spec, dev.agentkernel.api.CreateOptions options) {
        return timed("create", () -> delegate.create(spec, options));
    }

    @Override
    public dev.agentkernel.api.SnapshotInfo takeSnapshot(String sandbox, String name) {
        return timed("snapshot", () -> delegate.takeSnapshot(sandbox, name));
    }

    @Override
    public List<dev.agentkernel.api.SnapshotInfo> snapshots() {
        return timed("list_snapshots", delegate::snapshots);
    }

    @Override
    public Optional<dev.agentkernel.api.SnapshotInfo> snapshot(String name) {
        return timed("inspect_snapshot", () -> delegate.snapshot(name));
    }

    @Override
    public void deleteSnapshot(String name) {
        timed("delete_snapshot", () -> delegate.deleteSnapshot(name));
    }

    @Override
    public dev.agentkernel.api.VolumeInfo createVolume(String name) {
        return timed("create_volume", () -> delegate.createVolume(name));
    }

    @Override
    public List<dev.agentkernel.api.VolumeInfo> volumes() {
        return timed("list_volumes", delegate::volumes);
    }

    @Override
    public void removeVolume(String name) {
        timed("remove_volume", () -> delegate.removeVolume(name));
    }

    @Override
    public SandboxInfo start(String name) {
        return timed("start", () -> delegate.start(name));
    }

    @Override
    public SandboxInfo stop(String name) {
        return timed("stop", () -> delegate.stop(name));
    }

    @Override
    public void remove(String name) {
        timed("remove", () -> delegate.remove(name));
    }

    @Override
    public Optional<SandboxInfo> inspect(String name) {
        return timed("inspect", () -> delegate.inspect(name));
    }

    @Override
    public boolean running(String name) {
        return timed("running", () -> delegate.running(name));
    }

    @Override
    public List<SandboxInfo> list() {
        return timed("list", delegate::list);
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        return timed("exec", () -> delegate.exec(name, request, listener, cancellation));
    }

    /** The opening of a terminal (it then lives on its own, for minutes or hours: not an engine call's latency). */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        return timed("open_pty", () -> delegate.openPty(name, request, listener));
    }

    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        return timed("open_port", () -> delegate.openPort(name, port, listener));
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        return timed("read_file", () -> delegate.readFile(name, path, maxBytes));
    }

    @Override
    public void writeFile(String name, FileContent file) {
        timed("write_file", () -> delegate.writeFile(name, file));
    }

    @Override
    public void deleteFile(String name, String path) {
        timed("delete_file", () -> delegate.deleteFile(name, path));
    }

    @Override
    public DetachedCommand execDetached(String name, String id, ExecRequest request) {
        return timed("exec_detached", () -> delegate.execDetached(name, id, request));
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        return timed("detached_list", () -> delegate.detachedList(name));
    }

    @Override
    public byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        return timed("detached_logs", () -> delegate.detachedLogs(name, id, stream));
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        return timed("detached_kill", () -> delegate.detachedKill(name, id));
    }

    @Override
    public boolean imageAvailable(String image) {
        return timed("image_available", () -> delegate.imageAvailable(image));
    }

    @Override
    public BackendHealth health() {
        return timed("health", delegate::health);
    }
}
