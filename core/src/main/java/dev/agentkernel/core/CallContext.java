package dev.agentkernel.core;

import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Who asked for the work this thread does: the request id and the W3C {@code traceparent} of the caller (the HTTP
 * request), recorded in every audit event the work writes ({@code request_id}, {@code traceparent}). A server
 * enters it on the thread that calls the kernel; the kernel carries it to the threads that finish that work (batch
 * items, background removal of a run's sandbox). Both values are validated here, so nothing unchecked from a
 * header reaches the audit log.
 *
 * @param requestId   1 to 128 characters of {@code [A-Za-z0-9._:@/+=-]}
 * @param traceparent a W3C trace context {@code traceparent} (version 00 form), or null
 */
public record CallContext(String requestId, String traceparent) {
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    private static final Pattern TRACEPARENT = Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final ThreadLocal<CallContext> CURRENT = new ThreadLocal<>();

    public CallContext {
        if (!saneRequestId(requestId)) {
            throw new IllegalArgumentException("request id must be 1 to 128 of [A-Za-z0-9._:@/+=-]");
        }
        if (traceparent != null && !traceparent.equals(traceparent(traceparent))) {
            throw new IllegalArgumentException("not a W3C traceparent");
        }
    }

    /** Whether a caller's request id can be used as it is (else the server makes one). */
    public static boolean saneRequestId(String id) {
        return id != null && REQUEST_ID.matcher(id).matches();
    }

    /**
     * The W3C {@code traceparent} in a header value, or null when it is not a valid one (then it is ignored, as the
     * Trace Context recommendation says). A later version's extra fields are dropped; version {@code ff}, an all-zero
     * trace id or parent id are invalid.
     */
    public static String traceparent(String header) {
        if (header == null || header.length() < 55) {
            return null;
        }
        String head = header.substring(0, 55);
        var m = TRACEPARENT.matcher(head);
        if (!m.matches() || m.group(1).equals("ff") || m.group(2).equals("0".repeat(32))
                || m.group(3).equals("0".repeat(16))) {
            return null;
        }
        boolean exact = header.length() == 55;
        if (m.group(1).equals("00") ? !exact : !exact && header.charAt(55) != '-') {
            return null;
        }
        return head;
    }

    /** The context of the current thread, or null outside any call. */
    public static CallContext current() {
        return CURRENT.get();
    }

    /** Makes this the current context until the scope is closed (then the previous one is back). */
    public Scope enter() {
        CallContext previous = CURRENT.get();
        CURRENT.set(this);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** The current context carried to a task that another thread runs (unchanged when there is none). */
    public static Runnable carried(Runnable task) {
        CallContext c = current();
        if (c == null) {
            return task;
        }
        return () -> {
            try (Scope ignored = c.enter()) {
                task.run();
            }
        };
    }

    /** Like {@link #carried(Runnable)} for a task with a result. */
    public static <T> Callable<T> carried(Callable<T> task) {
        CallContext c = current();
        if (c == null) {
            return task;
        }
        return () -> {
            try (Scope ignored = c.enter()) {
                return task.call();
            }
        };
    }

    /** Ends an {@link #enter}. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
