package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.DetachedCommand;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.ForwardingBackend;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses, with {@code UNSUPPORTED}, what the backend's {@link Backend#capabilities} say it cannot do, before the
 * backend is asked: stop and start without {@link Capability#STOP_START}; a profile without network on a backend
 * without {@link Capability#NETWORK_ISOLATION} (it would silently get network). Sits under the auditing
 * decorator, so each refusal is audited like any failed operation.
 */
public final class CapabilityGuard extends ForwardingBackend {
    private final Set<Capability> capabilities;

    public CapabilityGuard(Backend delegate) {
        super(delegate);
        this.capabilities = Set.copyOf(delegate.capabilities());
    }

    /** Throws {@code UNSUPPORTED} unless the backend has {@code capability}; {@code what} completes "cannot ...". */
    public void require(Capability capability, String what) {
        if (!capabilities.contains(capability)) {
            throw new AgentKernelException.UnsupportedException("The " + delegate.id() + " backend cannot " + what
                    + " (it lacks the capability " + capability.wireName() + ")");
        }
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        requireNetworkIsolation(spec);
        return delegate.create(spec);
    }

    /** Volumes need {@link Capability#VOLUMES}; the rest of the options every backend that implements this takes. */
    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        if (!options.volumes().isEmpty()) {
            require(Capability.VOLUMES, "attach volumes");
        }
        requireNetworkIsolation(spec);
        return delegate.create(spec, options);
    }

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        require(Capability.SNAPSHOTS, "take snapshots");
        return delegate.takeSnapshot(sandbox, name);
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        require(Capability.SNAPSHOTS, "list snapshots");
        return delegate.snapshots();
    }

    @Override
    public Optional<SnapshotInfo> snapshot(String name) {
        require(Capability.SNAPSHOTS, "read snapshots");
        return delegate.snapshot(name);
    }

    @Override
    public void deleteSnapshot(String name) {
        require(Capability.SNAPSHOTS, "delete snapshots");
        delegate.deleteSnapshot(name);
    }

    @Override
    public VolumeInfo createVolume(String name) {
        require(Capability.VOLUMES, "create volumes");
        return delegate.createVolume(name);
    }

    @Override
    public List<VolumeInfo> volumes() {
        require(Capability.VOLUMES, "list volumes");
        return delegate.volumes();
    }

    @Override
    public void removeVolume(String name) {
        require(Capability.VOLUMES, "remove volumes");
        delegate.removeVolume(name);
    }

    /** A profile without network on a backend that cannot cut one off would silently get network. */
    private void requireNetworkIsolation(SandboxSpec spec) {
        if (spec.profile().network() == SecurityProfile.Network.NONE) {
            require(Capability.NETWORK_ISOLATION, "cut a sandbox off the network, which the "
                    + spec.profile().wireName() + " profile requires");
        }
    }

    @Override
    public DetachedCommand execDetached(String name, String id, ExecRequest request) {
        require(Capability.DETACHED_COMMANDS, "run detached commands");
        return delegate.execDetached(name, id, request);
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        require(Capability.DETACHED_COMMANDS, "run detached commands");
        return delegate.detachedList(name);
    }

    @Override
    public byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        require(Capability.DETACHED_COMMANDS, "run detached commands");
        return delegate.detachedLogs(name, id, stream);
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        require(Capability.DETACHED_COMMANDS, "run detached commands");
        return delegate.detachedKill(name, id);
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        if (request.sudo()) {
            require(Capability.SUDO, "run a command as root");
        }
        return delegate.exec(name, request, listener, cancellation);
    }

    @Override
    public SandboxInfo start(String name) {
        require(Capability.STOP_START, "start a stopped sandbox");
        return delegate.start(name);
    }

    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        require(Capability.PTY, "open a terminal");
        return delegate.openPty(name, request, listener);
    }

    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        require(Capability.PORTS, "connect to a port");
        return delegate.openPort(name, port, listener);
    }

    @Override
    public SandboxInfo stop(String name) {
        require(Capability.STOP_START, "stop a sandbox");
        return delegate.stop(name);
    }
}
