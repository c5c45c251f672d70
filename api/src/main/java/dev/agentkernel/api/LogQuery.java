package dev.agentkernel.api;

import java.time.Instant;

/**
 * Filters audit events of one sandbox (exact name match).
 *
 * @param since only events at or after this instant, or null
 * @param limit at most this many (the most recent), at most {@value #MAX_LIMIT}, or 0 for all
 */
public record LogQuery(Instant since, int limit) {
    public static final LogQuery ALL = new LogQuery(null, 0);
    /** The largest {@code limit}: a bigger number means "all", which 0 already says. */
    public static final int MAX_LIMIT = 100_000;

    public LogQuery {
        if (limit < 0 || limit > MAX_LIMIT) {
            throw Validation.invalid("Invalid limit " + limit + ": must be between 0 and " + MAX_LIMIT);
        }
    }
}
