package dev.agentkernel.server.testing;

import io.vertx.core.logging.SLF4JLogDelegateFactory;
import io.vertx.core.spi.logging.LogDelegate;
import io.vertx.core.spi.logging.LogDelegateFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Vert.x's logger factory in the tests (system property {@code vertx.logger-delegate-factory-class-name}, set in
 * the module's surefire/failsafe configuration): everything goes to SLF4J as usual, and each warning of Vert.x's
 * blocked-thread checker is also remembered here, for {@link FailOnBlockedEventLoop} to fail the test with.
 */
public final class BlockedLoopRecorder implements LogDelegateFactory {
    /** The logger Vert.x's {@code BlockedThreadChecker} writes to. */
    static final String CHECKER_LOGGER = "io.vertx.core.impl.BlockedThreadChecker";
    private static final ConcurrentLinkedQueue<String> WARNINGS = new ConcurrentLinkedQueue<>();

    private final SLF4JLogDelegateFactory slf4j = new SLF4JLogDelegateFactory();

    /** Whether this factory is Vert.x's (the system property was set before Vert.x logged anything). */
    public static boolean installed() {
        return BlockedLoopRecorder.class.getName().equals(System.getProperty("vertx.logger-delegate-factory-class-name"));
    }

    /** The warnings seen since the last call, oldest first; forgets them. */
    public static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String w; (w = WARNINGS.poll()) != null; ) {
            out.add(w);
        }
        return out;
    }

    @Override
    public boolean isAvailable() {
        return slf4j.isAvailable();
    }

    @Override
    public LogDelegate createDelegate(String name) {
        LogDelegate delegate = slf4j.createDelegate(name);
        return CHECKER_LOGGER.equals(name) ? new Recording(delegate) : delegate;
    }

    private static void record(Object message, Throwable stack) {
        if (!ours(message)) {
            return;
        }
        StringBuilder b = new StringBuilder(String.valueOf(message));
        if (stack != null) {
            StackTraceElement[] frames = stack.getStackTrace();
            for (int i = 0; i < Math.min(12, frames.length); i++) {
                b.append("\n        at ").append(frames[i]);
            }
        }
        WARNINGS.add(b.toString());
    }

    /**
     * Whether a warning is about an event loop of our servers, which tests start with the limit
     * {@link FailOnBlockedEventLoop#WARNING}: another Vert.x in the same JVM keeps its own limit (the simulated
     * cluster's mock API server, Vert.x's default 2000 ms, blocks its loop parsing its first requests) and is not
     * the code under test. Its warnings are still logged.
     */
    static boolean ours(Object message) {
        return String.valueOf(message).contains("time limit is " + FailOnBlockedEventLoop.WARNING.toMillis() + " ms");
    }

    /** The checker's logger: passes everything on and remembers warnings and errors. */
    private record Recording(LogDelegate d) implements LogDelegate {
        @Override
        public String implementation() {
            return d.implementation();
        }

        @Override
        public boolean isWarnEnabled() {
            return true; // recorded even where the log level would hide it
        }

        @Override
        public boolean isInfoEnabled() {
            return d.isInfoEnabled();
        }

        @Override
        public boolean isDebugEnabled() {
            return d.isDebugEnabled();
        }

        @Override
        public boolean isTraceEnabled() {
            return d.isTraceEnabled();
        }

        @Override
        public void error(Object message) {
            record(message, null);
            d.error(message);
        }

        @Override
        public void error(Object message, Throwable t) {
            record(message, t);
            d.error(message, t);
        }

        @Override
        public void warn(Object message) {
            record(message, null);
            d.warn(message);
        }

        @Override
        public void warn(Object message, Throwable t) {
            record(message, t);
            d.warn(message, t);
        }

        @Override
        public void info(Object message) {
            d.info(message);
        }

        @Override
        public void info(Object message, Throwable t) {
            d.info(message, t);
        }

        @Override
        public void debug(Object message) {
            d.debug(message);
        }

        @Override
        public void debug(Object message, Throwable t) {
            d.debug(message, t);
        }

        @Override
        public void trace(Object message) {
            d.trace(message);
        }

        @Override
        public void trace(Object message, Throwable t) {
            d.trace(message, t);
        }
    }
}
