package dev.agentkernel.core;

import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
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

import dev.agentkernel.api.DetachedCommand;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link Backend} that hands every call to another one: the base of decorators (auditing, capability checks, test
 * doubles), which override only what they add to.
 */
public abstract class ForwardingBackend implements Backend {
    protected final Backend delegate;

    protected ForwardingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    @Override
    public String id() {
        return delegate.id();
    }

    @Override
    public String instanceId() {
        return delegate.instanceId();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public LeaseStore leases() {
        return delegate.leases();
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return delegate.create(spec);
    }

    @Override
    public SandboxInfo start(String name) {
        return delegate.start(name);
    }

    @Override
    public SandboxInfo stop(String name) {
        return delegate.stop(name);
    }

    @Override
    public void remove(String name) {
        delegate.remove(name);
    }

    @Override
    public Optional<SandboxInfo> inspect(String name) {
        return delegate.inspect(name);
    }

    @Override
    public boolean running(String name) {
        return delegate.running(name);
    }

    @Override
    public List<SandboxInfo> list() {
        return delegate.list();
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        return delegate.exec(name, request, listener, cancellation);
    }

    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        return delegate.openPty(name, request, listener);
    }

    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        return delegate.openPort(name, port, listener);
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        return delegate.readFile(name, path, maxBytes);
    }

    @Override
    public void writeFile(String name, FileContent file) {
        delegate.writeFile(name, file);
    }

    @Override
    public void deleteFile(String name, String path) {
        delegate.deleteFile(name, path);
    }

    @Override
    public DetachedCommand execDetached(String name, String id, ExecRequest request) {
        return delegate.execDetached(name, id, request);
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        return delegate.detachedList(name);
    }

    @Override
    public byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        return delegate.detachedLogs(name, id, stream);
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        return delegate.detachedKill(name, id);
    }

    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        return delegate.create(spec, options);
    }

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        return delegate.takeSnapshot(sandbox, name);
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        return delegate.snapshots();
    }

    @Override
    public Optional<SnapshotInfo> snapshot(String name) {
        return delegate.snapshot(name);
    }

    @Override
    public void deleteSnapshot(String name) {
        delegate.deleteSnapshot(name);
    }

    @Override
    public VolumeInfo createVolume(String name) {
        return delegate.createVolume(name);
    }

    @Override
    public List<VolumeInfo> volumes() {
        return delegate.volumes();
    }

    @Override
    public void removeVolume(String name) {
        delegate.removeVolume(name);
    }

    @Override
    public boolean imageAvailable(String image) {
        return delegate.imageAvailable(image);
    }

    @Override
    public BackendHealth health() {
        return delegate.health();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
