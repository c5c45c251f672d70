package dev.agentkernel.api;

import java.util.Locale;

/** Lifecycle state of a sandbox as the backend reports it. */
public enum SandboxStatus {
    CREATING,
    RUNNING,
    STOPPED,
    /** The backend knows the sandbox but its state is neither running nor cleanly stopped (e.g. dead, paused). */
    UNKNOWN;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
