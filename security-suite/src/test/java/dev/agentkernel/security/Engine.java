package dev.agentkernel.security;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The suite's own view of the engine, independent of the code under test: counts managed containers by owner
 * label, runs a command in a container (to look for leftover processes) and removes a container behind the
 * server's back. Touches only containers whose owner label is one of ours.
 */
final class Engine {
    static final String OWNER_LABEL = "dev.agentkernel.owner";
    private static final DockerClient CLIENT = open();

    private Engine() {
    }

    private static DockerClient open() {
        DockerClientConfig c = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        return DockerClientImpl.getInstance(c, new ZerodepDockerHttpClient.Builder().dockerHost(c.getDockerHost())
                .maxConnections(32).connectionTimeout(Duration.ofSeconds(5)).build());
    }

    static DockerClient client() {
        return CLIENT;
    }

    /**
     * Whether this run puts every sandbox under gVisor ({@code mvn -Prunsc}, the failsafe execution runsc): the
     * server under test reads the same variable. Its documented differences are then expected (docs/security.md).
     */
    static boolean gvisor() {
        return "runsc".equals(System.getenv("AGENTKERNEL_DOCKER_RUNTIME"));
    }

    /** Containers (any state) whose owner label is exactly {@code owner}. */
    static List<Container> owned(String owner) {
        return CLIENT.listContainersCmd().withShowAll(true).withLabelFilter(java.util.Map.of(OWNER_LABEL, owner)).exec();
    }

    /** Containers whose owner label starts with {@code prefix} (an instance id of a child JVM is host/pid/nonce). */
    static List<Container> ownedByPrefix(String prefix) {
        return CLIENT.listContainersCmd().withShowAll(true).withLabelFilter(List.of(OWNER_LABEL)).exec().stream()
                .filter(c -> c.getLabels() != null && c.getLabels().getOrDefault(OWNER_LABEL, "").startsWith(prefix))
                .toList();
    }

    static int count(String owner) {
        return owned(owner).size();
    }

    /** The container id of a sandbox (container name agentkernel-NAME), or null. */
    static String containerOf(String sandbox) {
        return CLIENT.listContainersCmd().withShowAll(true).withNameFilter(List.of("agentkernel-" + sandbox)).exec()
                .stream().filter(c -> List.of(c.getNames()).contains("/agentkernel-" + sandbox))
                .map(Container::getId).findFirst().orElse(null);
    }

    /** Runs argv as root in a running container and returns its stdout (the suite's own eyes, not the API). */
    static String exec(String containerId, String... argv) {
        ExecCreateCmdResponse e = CLIENT.execCreateCmd(containerId).withCmd(argv).withUser("0")
                .withAttachStdout(true).withAttachStderr(true).exec();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            CLIENT.execStartCmd(e.getId()).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<
                    com.github.dockerjava.api.model.Frame>() {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame f) {
                    if (f.getStreamType() == com.github.dockerjava.api.model.StreamType.STDOUT) {
                        out.writeBytes(f.getPayload());
                    }
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Processes in a container other than its init (pid 1), its keep-alive {@code sleep infinity}, the in-sandbox agent and our own {@code ps}: what an exec left behind.
     * busybox {@code ps -o pid,args} lists every process of the container's pid namespace.
     */
    static List<String> strayProcesses(String containerId) {
        String ps = exec(containerId, "ps", "-o", "pid,args");
        return ps.lines().skip(1).map(String::trim).filter(l -> !l.isEmpty())
                .filter(l -> !l.startsWith("1 ")).filter(l -> !l.contains("ps -o pid,args"))
                .filter(l -> !l.endsWith("sleep infinity")).filter(l -> !l.endsWith("/.agentkernel/agentkernel-agent"))
                .toList();
    }

    /** Removes a container of ours with force (the "removed behind our back" fault). */
    static void removeBehindOurBack(String containerId) {
        CLIENT.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
    }

    /** Final sweep: force-removes every container carrying exactly this owner label. */
    static int sweep(String owner) {
        int n = 0;
        for (Container c : owned(owner)) {
            try {
                CLIENT.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                n++;
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        return n;
    }
}
