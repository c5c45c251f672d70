package dev.agentkernel.api;

import java.time.Instant;

/**
 * Filters audit events of one sandbox (exact name match).
 *
 * @param since only events at or after this instant, or null
 * @param limit at most this many (the most recent), or 0 for all
 */
public record LogQuery(Instant since, int limit) {
    public static final LogQuery ALL = new LogQuery(null, 0);

    public LogQuery {
        if (limit < 0) {
            throw Validation.invalid("Invalid limit " + limit + ": must be zero or positive");
        }
    }
}
