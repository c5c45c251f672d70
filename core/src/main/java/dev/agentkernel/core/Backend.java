package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
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
 * The SPI a sandbox engine implements (Docker today; Kubernetes planned). Nothing here may assume a local
 * socket, host PIDs or host paths. Implementations are thread-safe and keep their state in the engine
 * (e.g. container labels or object metadata), so a new process — on this host or another — sees what an earlier
 * one made.
 *
 * <p>What every backend does: create a sandbox from a resolved spec (its profile applied as far as the backend's
 * {@link #capabilities} say), run commands, read and write files, remove. Everything beyond that is a
 * {@link Capability} the backend declares; the kernel never calls a method whose capability is missing (it
 * answers {@code UNSUPPORTED} itself), so such a method may simply throw.
 *
 * <p>Names: sandbox names are the user's ({@code [A-Za-z0-9][A-Za-z0-9_.-]{0,62}}); a backend whose engine
 * accepts fewer names maps them itself (see {@link ResourceNames}) and still reports the user's name.
 *
 * <p>Errors are {@link AgentKernelException}s: a missing sandbox is {@code NOT_FOUND}, a taken name or a
 * sandbox that is not running is {@code CONFLICT}, an unreachable engine is {@code BACKEND_UNAVAILABLE}.
 * Every sandbox-taking method acts only on sandboxes this backend manages.
 */
public interface Backend extends AutoCloseable {
    /** Stable id, e.g. {@code docker}; shown as {@code backend} on the wire. */
    String id();

    /** The id of the agentkernel instance on whose behalf this backend creates sandboxes. */
    String instanceId();

    /** What this backend can do beyond the basics; constant for the life of the backend. */
    Set<Capability> capabilities();

    /** Where instances keep the leases that prove they are alive (see {@link LeaseStore}). */
    LeaseStore leases();

    /** Creates and starts a sandbox; the image must be resolved (non-null). */
    SandboxInfo create(SandboxSpec spec);

    /**
     * Starts a stopped sandbox; no-op when running. Only called with {@link Capability#STOP_START}; its files are
     * as they were with {@link Capability#STOP_KEEPS_FILES}.
     */
    SandboxInfo start(String name);

    /** Stops a sandbox; no-op when stopped. Only called with {@link Capability#STOP_START}. */
    SandboxInfo stop(String name);

    /** Removes a sandbox and everything in it, running or not. */
    void remove(String name);

    Optional<SandboxInfo> inspect(String name);

    /**
     * Whether the sandbox is running, as cheaply as the backend can tell; never throws. The warm pool asks before it
     * hands out a member, on the answer path of a run. The default asks the engine ({@link #inspect}); a backend that
     * holds a live channel into the sandbox which the engine ends with the sandbox (Docker's attached agent) may
     * answer from that channel instead and ask the engine only when there is none.
     */
    default boolean running(String name) {
        try {
            return inspect(name).map(SandboxInfo::running).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Every sandbox this backend manages, of every kind and owner. */
    List<SandboxInfo> list();

    /**
     * Runs a command in a running sandbox, delivering output to {@code listener} as it is produced.
     * Blocks until the command ends, times out, or is cancelled; on timeout or cancel the whole process
     * tree is killed before this returns, and the result has {@code timedOut} set.
     */
    ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation);

    default ExecResult exec(String name, ExecRequest request) {
        return exec(name, request, OutputListener.NONE, Cancellation.create());
    }

    /**
     * Starts an interactive command on a pseudo-terminal in a running sandbox and returns at once (see
     * {@link PtySession}); closing the session kills the command's process tree. Only called with
     * {@link Capability#PTY}.
     */
    default PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        throw unsupported("open terminals");
    }

    /**
     * Connects to {@code 127.0.0.1:port} inside a running sandbox (its own network namespace) and returns at once
     * with the connection's stream (see {@link PortStream}); a refused connection is reported to
     * {@link PortListener#onClosed} with the reason. The kernel has checked that the port is exposed and counted the
     * connection against its limits. Only called with {@link Capability#PORTS}.
     */
    default PortStream openPort(String name, int port, PortListener listener) {
        throw unsupported("forward ports");
    }

    /**
     * Reads a regular file, resolved in the sandbox's own view (never the host's). Over {@code maxBytes} is
     * {@code PAYLOAD_TOO_LARGE}; missing is {@code NOT_FOUND}; a directory or a non-regular file (FIFO, device)
     * is {@code INVALID_REQUEST}; a symbolic link as the last component is {@code INVALID_REQUEST} (links in
     * parent directories resolve inside the sandbox).
     */
    FileContent readFile(String name, String path, long maxBytes);

    /**
     * Writes a file, creating parent directories, resolved in the sandbox's own view. Atomic: a reader sees the
     * old content or the new, never a mix. A symbolic link as the last component is refused with
     * {@code INVALID_REQUEST} (never followed, never replaced); a directory there is {@code INVALID_REQUEST}.
     */
    void writeFile(String name, FileContent file);

    /**
     * Deletes a file (not a directory), resolved in the sandbox's own view. A symbolic link as the last component
     * is removed itself, never its target.
     */
    void deleteFile(String name, String path);

    /**
     * Whether {@code image} is present locally or can be obtained (pulled) now; never throws. The facade asks
     * before using an auto-detected image so that an offline host falls back to a configured local image.
     * The default says yes: creation then reports a missing image itself.
     */
    default boolean imageAvailable(String image) {
        return true;
    }

    // ---- detached commands: only called with Capability.DETACHED_COMMANDS ----

    /**
     * Starts {@code request} in the background in a running sandbox under the id {@code id} (the kernel's choice,
     * unique in the sandbox). The sandbox owns it: it outlives this process, is killed with its whole tree by
     * {@link #detachedKill} or when the sandbox stops, and its output is kept in the sandbox up to
     * {@code request.maxOutputBytes()} per stream. A program that cannot start is an error, not a record.
     */
    default DetachedCommand execDetached(String name, String id, ExecRequest request) {
        throw unsupported("run detached commands");
    }

    /** The detached commands of a running sandbox with their current state, oldest first (empty when stopped). */
    default List<DetachedCommand> detachedList(String name) {
        throw unsupported("run detached commands");
    }

    /** What a detached command wrote on one stream so far (at most its cap); an unknown id is NOT_FOUND. */
    default byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        throw unsupported("run detached commands");
    }

    /** Kills a detached command's process tree and returns it as it ended; an unknown id is NOT_FOUND. */
    default DetachedCommand detachedKill(String name, String id) {
        throw unsupported("run detached commands");
    }

    // ---- create options, snapshots, volumes (issue 15). The kernel calls these only with the capability.

    /**
     * Creates and starts a sandbox with what of {@code options} is the backend's part: the volumes (with
     * {@link Capability#VOLUMES}) and a private in-memory place for secret files at
     * {@link CreateOptions#SECRETS_DIR}, writable by the sandbox's user (the kernel writes them after the start).
     * Never called with empty options.
     */
    default SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        throw unsupported("create a sandbox with volumes or secret files");
    }

    /**
     * Saves the filesystem of a sandbox (running or stopped) as snapshot {@code name}, kept in the engine so a new
     * process finds it; a taken name is {@code CONFLICT}. Only with {@link Capability#SNAPSHOTS}. What lives in
     * volumes or in-memory mounts (secret files) is not part of it.
     */
    default SnapshotInfo takeSnapshot(String sandbox, String name) {
        throw unsupported("take snapshots");
    }

    /** Every snapshot this backend keeps, of every owner. Only with {@link Capability#SNAPSHOTS}. */
    default List<SnapshotInfo> snapshots() {
        throw unsupported("list snapshots");
    }

    /** A snapshot by name. Only with {@link Capability#SNAPSHOTS}. */
    default Optional<SnapshotInfo> snapshot(String name) {
        throw unsupported("read snapshots");
    }

    /** Removes a snapshot; {@code NOT_FOUND} when missing. Only with {@link Capability#SNAPSHOTS}. */
    default void deleteSnapshot(String name) {
        throw unsupported("delete snapshots");
    }

    /** Makes a named volume; a taken name is {@code CONFLICT}. Only with {@link Capability#VOLUMES}. */
    default VolumeInfo createVolume(String name) {
        throw unsupported("create volumes");
    }

    /** Every named volume, by name. Only with {@link Capability#VOLUMES}. */
    default List<VolumeInfo> volumes() {
        throw unsupported("list volumes");
    }

    /** Removes a named volume; in use is {@code CONFLICT}, missing {@code NOT_FOUND}. Only with {@link Capability#VOLUMES}. */
    default void removeVolume(String name) {
        throw unsupported("remove volumes");
    }

    private AgentKernelException unsupported(String what) {
        return new AgentKernelException.UnsupportedException("The " + id() + " backend cannot " + what);
    }

    /** Whether the engine answers; never throws. */
    BackendHealth health();

    /** Releases client resources; does not remove sandboxes. */
    @Override
    void close();
}
