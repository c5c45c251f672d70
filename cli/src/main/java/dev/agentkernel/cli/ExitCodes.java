package dev.agentkernel.cli;

import dev.agentkernel.api.ErrorCode;

import java.util.EnumMap;
import java.util.Map;

/**
 * The one table from error kind to process exit status. {@code run} and {@code exec} otherwise exit with the
 * sandboxed command's own status, so agentkernel's own failures are also announced by an {@code error:} line
 * on stderr. Documented in docs/cli.md; keep both in step.
 */
public final class ExitCodes {
    public static final int OK = 0;
    /** A fault of agentkernel itself (a bug, or an unexpected failure of the host). */
    public static final int INTERNAL = 1;
    /** Bad command line or bad request (unknown option, invalid name, unknown profile...). */
    public static final int USAGE = 2;
    /** The sandboxed command ran out of time and was killed (as GNU {@code timeout} does). */
    public static final int COMMAND_TIMED_OUT = 124;

    private static final Map<ErrorCode, Integer> TABLE = new EnumMap<>(ErrorCode.class);

    static {
        TABLE.put(ErrorCode.INVALID_REQUEST, USAGE);
        TABLE.put(ErrorCode.NOT_FOUND, 3);
        TABLE.put(ErrorCode.CONFLICT, 4);
        TABLE.put(ErrorCode.UNAUTHORIZED, 5);
        TABLE.put(ErrorCode.FORBIDDEN, 5);
        TABLE.put(ErrorCode.PAYLOAD_TOO_LARGE, 6);
        TABLE.put(ErrorCode.BUSY, 7);
        TABLE.put(ErrorCode.BACKEND_UNAVAILABLE, 8);
        TABLE.put(ErrorCode.UNSUPPORTED, 9);
        TABLE.put(ErrorCode.SANDBOX_BROKEN, 10);
        TABLE.put(ErrorCode.PORT_UNREACHABLE, 11);
        TABLE.put(ErrorCode.TIMEOUT, COMMAND_TIMED_OUT);
        TABLE.put(ErrorCode.INTERNAL, INTERNAL);
    }

    private ExitCodes() {
    }

    public static int of(ErrorCode code) {
        return TABLE.getOrDefault(code, INTERNAL);
    }

    /** The table as documented (error kind, exit status), in a stable order. */
    public static Map<ErrorCode, Integer> table() {
        return Map.copyOf(TABLE);
    }
}
