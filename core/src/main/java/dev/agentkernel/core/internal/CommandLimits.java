package dev.agentkernel.core.internal;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.core.config.AgentKernelConfig;

/** The configured limits every command gets: the default timeout when it has none, and the output cap. */
public final class CommandLimits {
    private final AgentKernelConfig.Limits limits;

    public CommandLimits(AgentKernelConfig.Limits limits) {
        this.limits = limits;
    }

    public ExecRequest apply(ExecRequest r) {
        ExecRequest out = r.timeout() == null ? r.withTimeout(limits.timeout()) : r;
        long cap = limits.maxOutputBytes();
        return cap > 0 && out.maxOutputBytes() > cap ? out.withMaxOutputBytes(cap) : out;
    }
}
