package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.Backend;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Which sandboxes a caller may see and touch. {@code named} ones are the user's (every operation); {@code run}
 * ones exist while a run lasts (get, list and remove see them); {@code pool} ones are invisible to every
 * named-sandbox operation, so a warm sandbox cannot be touched before the one run it serves. A sandbox the caller
 * may not see is reported exactly as a missing one.
 *
 * <p>A sandbox's kind never changes, so a name seen as {@code named} is remembered for {@link #REMEMBER}: commands
 * in a named sandbox do not each pay an engine inspect. The backend still answers {@code not_found} for a sandbox
 * removed meanwhile by another process; one removed through this kernel is forgotten at once.
 */
public final class Visibility {
    /** How long a name seen as named is taken as named without asking the engine again. */
    static final Duration REMEMBER = Duration.ofSeconds(2);
    private static final int MAX_REMEMBERED = 10_000;

    private final Backend backend;
    private final LongSupplier clock;
    /** name -> when the engine last said it is a named sandbox (nanos). */
    private final Map<String, Long> named = new ConcurrentHashMap<>();

    public Visibility(Backend backend) {
        this(backend, System::nanoTime);
    }

    Visibility(Backend backend, LongSupplier clock) {
        this.backend = backend;
        this.clock = clock;
    }

    /** Checks that a caller may act on the named sandbox {@code name} (its inside or its state). */
    public void requireNamed(String name) {
        Validation.sandboxName(name);
        Long seen = named.get(name);
        if (seen != null && clock.getAsLong() - seen < REMEMBER.toNanos()) {
            return;
        }
        require(name, true);
    }

    /** Forgets what was seen of {@code name} (it was removed). */
    public void forget(String name) {
        named.remove(name);
    }

    /** The sandbox if a caller may see it; {@code namedOnly} for operations on a sandbox's inside or state. */
    public SandboxInfo require(String name, boolean namedOnly) {
        Validation.sandboxName(name);
        SandboxInfo info = backend.inspect(name).orElseThrow(() -> AgentKernelException.sandboxNotFound(name));
        if (info.kind() == SandboxKind.POOL || namedOnly && info.kind() != SandboxKind.NAMED) {
            throw AgentKernelException.sandboxNotFound(name);
        }
        if (info.kind() == SandboxKind.NAMED) {
            if (named.size() >= MAX_REMEMBERED) {
                named.clear();
            }
            named.put(name, clock.getAsLong());
        }
        return info;
    }

    /** Named sandboxes and temporary ones while they run; pool members are not listed. */
    public List<SandboxInfo> list() {
        return backend.list().stream().filter(s -> s.kind() != SandboxKind.POOL).toList();
    }
}
