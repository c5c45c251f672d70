package dev.agentkernel.api;

import java.util.Locale;

/**
 * What a sandbox backend can do beyond what every backend does (create, run commands, files, remove). The kernel
 * refuses an operation that needs a capability its backend lacks with {@link ErrorCode#UNSUPPORTED}, naming it;
 * front ends may show the set so users know what a deployment offers.
 */
public enum Capability {
    /** Sandboxes can be stopped and started again. */
    STOP_START,
    /** A stopped sandbox keeps its whole filesystem (without it, only what the backend documents survives). */
    STOP_KEEPS_FILES,
    /** A profile without network gets none: no interface but loopback. */
    NETWORK_ISOLATION,
    /** Each sandbox has its own limit on processes, so a fork bomb stays inside it. */
    PID_LIMIT,
    /** The filesystem of a sandbox can be saved and a sandbox made from it. */
    SNAPSHOTS,
    /** Named volumes that outlive a sandbox can be attached to one. */
    VOLUMES,
    /** Commands can reach a sandbox through an in-sandbox agent rather than the engine's own exec. */
    AGENT_TRANSPORT,
    /** Commands can run in the background, owned by the sandbox, with their status and output kept there. */
    DETACHED_COMMANDS,
    /** Commands can run as root inside the sandbox ({@code sudo: true}) where the profile allows it. */
    SUDO,
    /** Interactive commands on a pseudo-terminal ({@link Sandboxes#openPty}). */
    PTY,
    /** TCP connections to ports inside a sandbox, made by its agent ({@code /sandboxes/{name}/ports/{port}/}). */
    PORTS;

    /** The wire form, e.g. {@code stop_keeps_files}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
