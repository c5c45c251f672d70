package dev.agentkernel.server;

import dev.agentkernel.testkit.ChildJvm;
import dev.agentkernel.testkit.EngineView;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real server ({@link ChildServer}: the Docker backend, the configuration from {@code AGENTKERNEL_*}) in a child
 * JVM, for the tests that drive it from outside (the upstream SDKs) or kill and restart it. {@code reapPids} are the
 * pids of earlier children whose leftovers its start-up reconcile may take over; everything it makes carries its
 * own {@link #owner()}.
 */
record ServerChild(ChildJvm jvm, String owner, int port) implements AutoCloseable {

    static ServerChild start(Path dir, String reapPids, Map<String, String> env) {
        ChildJvm.Builder b = ChildJvm.of(ChildServer.class.getName()).jvmOptions("-Dreap.pids=" + reapPids)
                .stderrTo(dir.resolve("child-" + System.nanoTime() + ".err"))
                .env("AGENTKERNEL_AUDIT_PATH", dir.resolve("audit.jsonl").toString())
                .env("AGENTKERNEL_POOL_SIZE", "0")
                .env("AGENTKERNEL_IMAGE", "agentkernel/busybox:local")
                .unsetEnv("AGENTKERNEL_API_KEY")
                .maxLife(Duration.ofMinutes(15));
        env.forEach(b::env);
        ChildJvm jvm = b.start();
        int port = Integer.parseInt(jvm.awaitLine(l -> l.startsWith("port="), Duration.ofMinutes(2)).substring(5));
        String owner = jvm.lines().stream().filter(l -> l.startsWith("owner=")).findFirst().orElseThrow().substring(6);
        return new ServerChild(jvm, owner, port);
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return jvm.pid();
    }

    /** SIGKILL: no shutdown hook runs, as in a crash. */
    void kill9() {
        jvm.kill9();
    }

    /** SIGTERM, then removes whatever of this owner is left on the engine. */
    @Override
    public void close() {
        try {
            jvm.close();
        } finally {
            EngineView.removeAllOf(owner);
        }
    }
}
