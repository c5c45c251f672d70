package dev.agentkernel.server.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;
import java.util.List;

/**
 * Fails the test during which Vert.x reported a blocked event loop: blocking work on an event loop is a bug
 * whenever it appears (one stuck loop stalls every connection it serves, {@code /health} included). Registered for
 * every test of the modules that run servers (JUnit extension auto-detection, {@code META-INF/services}), with
 * {@link BlockedLoopRecorder} as Vert.x's logger factory and servers started with {@link #WARNING}.
 *
 * <p>The checker looks every {@code WARNING / 4}; a block near the end of a test may therefore be reported in the
 * next one (or in the class's after-all). The message carries the blocked thread's stack, which names the culprit.
 */
public final class FailOnBlockedEventLoop implements AfterEachCallback, AfterAllCallback {
    /**
     * The blocked-loop warning threshold of test servers: half Vert.x's default, so a block shows fast, yet above
     * what a busy 2-core CI machine costs a loop that is only waiting for a CPU: at load average 36, 500 ms once caught
     * an event loop allocating a Netty buffer (starved, not blocked). A real block lasts seconds or for ever.
     */
    public static final Duration WARNING = Duration.ofSeconds(1);

    @Override
    public void afterEach(ExtensionContext context) {
        check(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context);
    }

    private static void check(ExtensionContext context) {
        List<String> warnings = BlockedLoopRecorder.drain();
        if (!warnings.isEmpty()) {
            throw new AssertionError("Vert.x reported a blocked event loop during " + context.getDisplayName()
                    + " (blocking work on an event loop):\n  " + String.join("\n  ", warnings));
        }
    }
}
