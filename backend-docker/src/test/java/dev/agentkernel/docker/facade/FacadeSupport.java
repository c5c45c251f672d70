package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.docker.DockerBackend;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Shared by the facade ITs: the busybox image, a Docker backend that never pulls, configs with the audit log in a
 * temporary directory, and counting of the containers of one owner (the engine is shared with other test runs:
 * we only ever count and clean up our own).
 */
final class FacadeSupport {
    static final String BUSYBOX = System.getProperty("agentkernel.test.image", "agentkernel/busybox:local");
    private static final SecureRandom RANDOM = new SecureRandom();

    private FacadeSupport() {
    }

    static DockerBackend backend(String instanceId) {
        return DockerBackend.open(new BackendSettings(DockerBackend.ID, instanceId,
                Map.of(DockerBackend.PULL_PROPERTY, "false")));
    }

    static DockerBackend backend() {
        return backend(InstanceId.current());
    }

    static AgentKernelConfig config(Path audit, int poolSize, int poolMax) {
        AgentKernelConfig d = AgentKernelConfig.forTests(audit);
        return d.withSandbox(new AgentKernelConfig.Sandbox(BUSYBOX, d.sandbox().profile(), DockerBackend.ID))
                .withPool(new AgentKernelConfig.Pool(poolSize, poolMax));
    }

    /**
     * A facade that reconciles nothing at start: other test runs share this engine, and their dead instances'
     * containers are not ours to remove. The reconcile IT passes its own filter.
     */
    static AgentKernel kernel(AgentKernelConfig config) {
        return AgentKernel.builder().backend(backend()).config(config).reconcileFilter(s -> false)
                .admissionWait(Duration.ofMinutes(3)).build().start();
    }

    static List<SandboxInfo> ownedBy(Backend raw, String owner) {
        return raw.list().stream().filter(s -> owner.equals(s.owner())).toList();
    }

    static String suffix() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static List<String> events(AgentKernel kernel, String sandbox) {
        return kernel.logs(sandbox, LogQuery.ALL).stream().map(AuditEvent::event).toList();
    }

    static void waitUntil(BooleanSupplier condition, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within " + max);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    static double percentile(long[] nanos, double p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1_000_000.0;
    }
}
