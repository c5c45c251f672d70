package dev.agentkernel.cli;

import dev.agentkernel.api.Cancellation;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Ctrl-C during a command: cancel it (the backend kills the process tree and removes a temporary sandbox) and
 * give that cleanup a few seconds before the JVM exits, so an interrupted run leaves no container behind.
 */
public final class Interrupts {
    private static final long CLEANUP_GRACE_SECONDS = 10;

    private Interrupts() {
    }

    public static <T> T cancelOnExit(Cancellation cancellation, Supplier<T> work) {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            cancellation.cancel();
            try {
                done.await(CLEANUP_GRACE_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "agentkernel-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return work.get();
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting: the hook is running and has just been released.
            }
        }
    }
}
