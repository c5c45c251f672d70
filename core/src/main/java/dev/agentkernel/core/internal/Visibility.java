package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.Backend;

import java.util.List;

/**
 * Which sandboxes a caller may see and touch. {@code named} ones are the user's (every operation); {@code run}
 * ones exist while a run lasts (get, list and remove see them); {@code pool} ones are invisible to every
 * named-sandbox operation, so a warm sandbox cannot be touched before the one run it serves. A sandbox the caller
 * may not see is reported exactly as a missing one.
 */
public final class Visibility {
    private final Backend backend;

    public Visibility(Backend backend) {
        this.backend = backend;
    }

    /** The sandbox if a caller may see it; {@code namedOnly} for operations on a sandbox's inside or state. */
    public SandboxInfo require(String name, boolean namedOnly) {
        Validation.sandboxName(name);
        SandboxInfo info = backend.inspect(name).orElseThrow(() -> AgentKernelException.sandboxNotFound(name));
        if (info.kind() == SandboxKind.POOL || namedOnly && info.kind() != SandboxKind.NAMED) {
            throw AgentKernelException.sandboxNotFound(name);
        }
        return info;
    }

    /** Named sandboxes and temporary ones while they run; pool members are not listed. */
    public List<SandboxInfo> list() {
        return backend.list().stream().filter(s -> s.kind() != SandboxKind.POOL).toList();
    }
}
