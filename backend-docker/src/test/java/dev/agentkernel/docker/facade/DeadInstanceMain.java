package dev.agentkernel.docker.facade;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.docker.DockerBackend;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The instance that dies: run as a child JVM by {@link ReconcileIT}. It warms a pool of two, starts a long run in a
 * temporary sandbox, creates a named sandbox, prints its instance id and {@code READY}, and waits to be killed.
 *
 * <p>Arguments: the audit file, the named sandbox's name, and optionally an owner id (e.g. one of another host, so
 * that only its lease can tell it is gone), its lease time in milliseconds and the pool size (default 2).
 */
public final class DeadInstanceMain {
    private DeadInstanceMain() {
    }

    public static void main(String[] args) throws Exception {
        Path audit = Path.of(args[0]);
        String named = args[1];
        String owner = args.length > 2 ? args[2] : InstanceId.current();
        Duration lease = args.length > 3 ? Duration.ofMillis(Long.parseLong(args[3])) : Duration.ofSeconds(60);
        int poolSize = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        AgentKernel kernel = AgentKernel.builder().backend(FacadeSupport.backend(owner))
                .config(FacadeSupport.config(audit, poolSize, 4)).reconcileFilter(s -> false).leaseTtl(lease)
                .build().start();
        kernel.create(SandboxSpec.named(named, null));
        Thread run = new Thread(() -> kernel.run(RunRequest.of("sleep", "600").withImage(FacadeSupport.BUSYBOX)
                .withFast(false)));
        run.setDaemon(true);
        run.start();
        try (DockerBackend look = FacadeSupport.backend()) {
            FacadeSupport.waitUntil(() -> kernel.poolStats().size() == poolSize
                    && look.list().stream().anyMatch(s -> s.kind() == SandboxKind.RUN
                    && owner.equals(s.owner()) && s.running()), Duration.ofMinutes(2));
            for (SandboxInfo s : FacadeSupport.ownedBy(look, owner)) {
                System.out.println("SANDBOX " + s.kind().wireName() + " " + s.name());
            }
        }
        System.out.println("OWNER " + owner);
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // killed by the test, never closed: what a kill -9 leaves behind
    }
}
