package dev.agentkernel.core.internal;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.time.Duration;

/**
 * The configured limits every command gets: the default timeout when it has none, the output cap, and the one
 * rule on a command's own timeout: at most {@code limits.max_timeout_ms} (a timeout of years would outlive every
 * cleanup, and one near {@code Long.MAX_VALUE} milliseconds overflows the arithmetic of the backends). A request at
 * the built-in output default did not choose a cap (0 becomes that default), so it gets the configured one; a larger
 * one is lowered to it.
 */
public final class CommandLimits {
    private final AgentKernelConfig.Limits limits;

    public CommandLimits(AgentKernelConfig.Limits limits) {
        this.limits = limits;
    }

    public ExecRequest apply(ExecRequest r) {
        checkTimeout(r.timeout(), "timeout_ms");
        ExecRequest out = r.timeout() == null ? r.withTimeout(limits.timeout()) : r;
        long cap = limits.maxOutputBytes();
        boolean unchosen = out.maxOutputBytes() == ExecRequest.DEFAULT_MAX_OUTPUT_BYTES;
        return cap > 0 && (unchosen || out.maxOutputBytes() > cap) ? out.withMaxOutputBytes(cap) : out;
    }

    /** Refuses a timeout above the configured maximum; {@code field} names it in the message. */
    public void checkTimeout(Duration timeout, String field) {
        if (timeout != null && timeout.compareTo(limits.maxTimeout()) > 0) {
            throw Validation.invalid("Invalid " + field + ": must be at most " + limits.maxTimeout().toMillis()
                    + " (limits.max_timeout_ms)");
        }
    }
}
