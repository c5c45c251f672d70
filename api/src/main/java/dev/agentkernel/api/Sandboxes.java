package dev.agentkernel.api;

import java.util.List;

/**
 * Every sandbox operation, whoever performs it: the in-process kernel ({@code AgentKernel} in core) or a remote
 * server reached over HTTP ({@code AgentKernelClient} in the client SDK). The CLI and the MCP server are written
 * against this interface only, so an operation behaves the same embedded and remote: the same results, the same
 * {@link AgentKernelException}s with the same {@link ErrorCode}s. Implementations are thread-safe.
 *
 * <p>Defaults are resolved by the kernel, never by a caller: a {@code null} image, profile or limit in a
 * {@link RunRequest} or {@link SandboxSpec} means the configured default ({@code [sandbox]}, {@code [resources]}),
 * and a command without a timeout gets {@code limits.timeout_ms}.
 *
 * <p>Streaming calls report through a {@link RunListener} on the implementation's threads and can be cancelled
 * from any thread with their {@link Cancellation}: the command is killed with its process tree, a temporary
 * sandbox is removed, and the call returns its result (marked timed out) or throws.
 */
public interface Sandboxes extends AutoCloseable {

    /** Runs a command in a temporary sandbox (a warm one from the pool when {@code fast}) removed afterwards. */
    default RunResult run(RunRequest request) {
        return runStreaming(request, RunListener.NONE, Cancellation.create());
    }

    /** {@code run("python3", "-c", "print(1+1)")}: a command with every default. */
    default RunResult run(String... command) {
        return run(RunRequest.of(command));
    }

    /** Like {@link #run(RunRequest)}, with its events as they happen. */
    RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation);

    /**
     * Runs every request in its own temporary sandbox, in parallel; one outcome per request, in input order.
     * A request that could not run is an outcome with its error (and code), not an exception.
     */
    List<BatchOutcome> batch(List<RunRequest> requests);

    /** Creates and starts a named sandbox; it stays until {@link #remove}. A taken name is {@code CONFLICT}. */
    SandboxInfo create(SandboxSpec spec);

    /** A named sandbox, or a temporary one while its run lasts; {@code NOT_FOUND} otherwise. */
    SandboxInfo get(String name);

    /** Named sandboxes, and temporary ones while they run. */
    List<SandboxInfo> list();

    default ExecResult exec(String name, ExecRequest request) {
        return execStreaming(name, request, RunListener.NONE, Cancellation.create());
    }

    /** {@code exec("dev", "ls", "-la")}: a command with every default. */
    default ExecResult exec(String name, String... command) {
        return exec(name, ExecRequest.of(command));
    }

    /** Runs a command in a running named sandbox; a stopped one is {@code CONFLICT}. */
    ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation);

    /**
     * Starts an interactive command on a pseudo-terminal in a running named sandbox; it runs until it exits or the
     * session is closed, or {@code pty.idle_timeout_ms} pass without input or output (no command timeout). Needs
     * {@link Capability#PTY}; at most {@code pty.max_sessions_per_sandbox} at once per sandbox ({@code BUSY} beyond).
     */
    PtySession openPty(String name, PtyRequest request, PtyListener listener);

    /** Starts a stopped sandbox; a running one is left as it is. */
    SandboxInfo start(String name);

    /** Stops a running sandbox, which keeps its files; a stopped one is left as it is. */
    SandboxInfo stop(String name);

    /** Removes a sandbox and everything in it. */
    void remove(String name);

    /** A file of a running sandbox; bigger than {@code limits.max_file_bytes} is {@code PAYLOAD_TOO_LARGE}. */
    FileContent readFile(String name, String path);

    /** Writes a file, creating its parent directories; returns the normalised path and the size written. */
    FileContent writeFile(String name, String path, byte[] content);

    /** Deletes a file; returns its normalised path. */
    String deleteFile(String name, String path);

    /** The audit events of one sandbox (exact name), oldest first; still there after the sandbox is removed. */
    List<AuditEvent> logs(String name, LogQuery query);

    /** The warm pool's figures. */
    PoolStats poolStats();

    /** Whether sandboxes can be made now; a backend that is down is an answer ({@code available} false). */
    BackendHealth health();

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands ----

    /** The sandbox whose {@link SandboxInfo#uuid()} is {@code uuid}; not a UUID is {@code INVALID_REQUEST}. */
    SandboxInfo getByUuid(String uuid);

    /**
     * Moves a sandbox's expiry to {@code max(its expiry, now) + by} and returns the new expiry. A sandbox
     * without a TTL gets one. The kernel removes a sandbox once it has expired (audited as {@code sandbox_removed}
     * with {@code reason: expired}).
     */
    java.time.Instant extend(String name, java.time.Duration by);

    /**
     * Writes several files in one call, creating parents; every path and size is checked before anything is
     * written. Returns how many files were written.
     */
    int writeFiles(String name, java.util.Map<String, byte[]> files);

    /** Starts a command in the background (its timeout, when set, still applies); the sandbox must be running. */
    DetachedCommand execDetached(String name, ExecRequest request);

    /** The detached commands of a sandbox, oldest first. */
    List<DetachedCommand> detachedList(String name);

    /** One detached command with its current status; an unknown id is {@code NOT_FOUND}. */
    DetachedCommand detachedStatus(String name, String id);

    /** What a detached command wrote so far on one stream (up to its cap), decoded as UTF-8. */
    String detachedLogs(String name, String id, DetachedCommand.Stream stream);

    /** Kills a detached command with its whole process tree; returns it as it ended. */
    DetachedCommand detachedKill(String name, String id);

    /**
     * A named sandbox that lives as long as the returned session: created now, removed by
     * {@link SandboxSession#close()} (use try-with-resources, so it goes away even when the block throws).
     */
    default SandboxSession session(SandboxSpec spec) {
        create(spec);
        return new SandboxSession(this, spec.name());
    }

    // ---- create options, snapshots, volumes, secrets (issue 15)

    /**
     * Creates and starts a named sandbox with volumes, secret files and a cloned source ({@link CreateOptions}).
     * When any part fails, nothing is left: the sandbox is removed and the call throws.
     */
    SandboxInfo create(SandboxSpec spec, CreateOptions options);

    /**
     * Saves the filesystem of a sandbox as a snapshot ({@code name} null: one is generated). Needs
     * {@link Capability#SNAPSHOTS}; without it {@code UNSUPPORTED}. A taken name is {@code CONFLICT}.
     */
    SnapshotInfo takeSnapshot(String sandbox, String name);

    /** Every snapshot, oldest first. */
    List<SnapshotInfo> listSnapshots();

    /** One snapshot; {@code NOT_FOUND} when there is none of that name. */
    SnapshotInfo getSnapshot(String name);

    /** Removes a snapshot (its saved filesystem too). */
    void deleteSnapshot(String name);

    /**
     * A new started sandbox {@code asName} (null: {@code <sandbox>-restored}) made from a snapshot, with the
     * snapshot's limits and profile.
     */
    SandboxInfo restoreSnapshot(String name, String asName);

    /** Makes a named volume; a taken name is {@code CONFLICT}. Needs {@link Capability#VOLUMES}. */
    VolumeInfo createVolume(String name);

    /** Every named volume, by name. */
    List<VolumeInfo> listVolumes();

    /** Removes a named volume and its data; one attached to a sandbox is {@code CONFLICT}. */
    void removeVolume(String name);

    /** Stores a secret on the server's host (replacing one of that key); the value is never returned. */
    void setSecret(String key, String value);

    /** The keys of the stored secrets, sorted; never their values. */
    List<String> listSecrets();

    /** Removes a stored secret; {@code NOT_FOUND} when there is none. */
    void removeSecret(String key);

    // ---- ports (issue 18)

    /**
     * Opens a TCP port of a named sandbox for forwarding (idempotent: exposing it again returns the first
     * exposure). Audited; kept while the sandbox lives, across server restarts. Needs {@link Capability#PORTS}.
     */
    ExposedPort exposePort(String name, int port);

    /** Closes an exposed port: its open connections end, new ones and its URLs are refused. Not exposed: {@code NOT_FOUND}. */
    void unexposePort(String name, int port);

    /** The exposed ports of a sandbox, by port number. */
    List<ExposedPort> exposedPorts(String name);

    /**
     * Connects to an exposed port inside a running sandbox and returns at once (see {@link PortStream}); a port
     * not exposed is {@code NOT_FOUND}, more than {@code ports.max_connections_per_sandbox} open connections
     * {@code BUSY}. A port nothing listens on is reported to {@link PortListener#onClosed}.
     */
    PortStream openPort(String name, int port, PortListener listener);

    /**
     * A signed URL that opens an exposed port in a browser without the API key, valid for {@code ttl}. Only a
     * server can sign one: the embedded kernel answers {@code UNSUPPORTED} (use {@code agentkernel serve}).
     */
    PortUrl portUrl(String name, int port, java.time.Duration ttl);

    /** Releases what this instance holds (an embedded kernel removes its temporary sandboxes). Idempotent. */
    @Override
    void close();
}
