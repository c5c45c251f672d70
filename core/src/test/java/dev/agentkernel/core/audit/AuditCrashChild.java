package dev.agentkernel.core.audit;

import dev.agentkernel.api.AuditEvent;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Appends events from many threads to the audit log at {@code args[0]} until killed, printing the id of each event
 * once its {@link AuditLog#record} returned (acknowledged), for {@link AuditCrashTest}.
 */
public final class AuditCrashChild {
    private AuditCrashChild() {
    }

    public static void main(String[] args) {
        AuditLog log = AuditLog.open(Path.of(args[0]));
        PrintStream out = System.out;
        AtomicInteger ids = new AtomicInteger();
        for (int t = 0; t < 8; t++) {
            Thread w = new Thread(() -> {
                while (true) {
                    int id = ids.incrementAndGet();
                    log.record(new AuditEvent(Instant.now(), "command_executed", "crash",
                            Map.of("id", id, "argv", List.of("x".repeat(id % 300)))));
                    synchronized (out) {
                        out.println(id);
                        out.flush();
                    }
                    pause(); // bursts and lulls: a lull must not leave an acknowledged event unwritten
                }
            });
            w.start();
        }
        out.println("started");
        out.flush();
    }

    private static void pause() {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(4));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
