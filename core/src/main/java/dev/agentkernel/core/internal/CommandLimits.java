package dev.agentkernel.core.internal;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.core.config.AgentKernelConfig;

/**
 * The configured limits every command gets: the default timeout when it has none, and the output cap. A request
 * at the built-in output default did not choose a cap (0 becomes that default), so it gets the configured one; a
 * larger one is lowered to it.
 */
public final class CommandLimits {
    private final AgentKernelConfig.Limits limits;

    public CommandLimits(AgentKernelConfig.Limits limits) {
        this.limits = limits;
    }

    public ExecRequest apply(ExecRequest r) {
        ExecRequest out = r.timeout() == null ? r.withTimeout(limits.timeout()) : r;
        long cap = limits.maxOutputBytes();
        boolean unchosen = out.maxOutputBytes() == ExecRequest.DEFAULT_MAX_OUTPUT_BYTES;
        return cap > 0 && (unchosen || out.maxOutputBytes() > cap) ? out.withMaxOutputBytes(cap) : out;
    }
}
