package dev.agentkernel.docker.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The floor a plain Docker user has, for {@code agentkernel bench}: a raw docker-java exec round trip (create,
 * start with attached output, inspect) in this process, against one long-running container labelled
 * {@value #LABEL}{@code =<run id>}, which {@link #close()} removes with every other container of the run.
 */
public final class DockerJavaBaseline implements AutoCloseable {
    public static final String LABEL = "dev.agentkernel.bench";
    private final DockerClient docker;
    private final String image;
    private final String runId;
    private String container;

    public DockerJavaBaseline(String image, String runId) {
        this.image = image;
        this.runId = runId;
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        this.docker = DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost()).sslConfig(config.getSSLConfig()).maxConnections(16)
                .connectionTimeout(Duration.ofSeconds(5)).build());
    }

    /** e.g. {@code 20.10.24 (API 1.41)}. */
    public String engineVersion() {
        try {
            var v = docker.versionCmd().exec();
            return v.getVersion() + " (API " + v.getApiVersion() + ")";
        } catch (RuntimeException e) {
            return "unavailable: " + e.getMessage();
        }
    }

    /** One {@code echo hello} exec round trip; throws unless it printed hello and exited 0. */
    public void execEcho() throws IOException, InterruptedException {
        String c = container();
        String id = docker.execCreateCmd(c).withCmd("echo", "hello").withAttachStdout(true).withAttachStderr(true)
                .exec().getId();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        docker.execStartCmd(id).exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
                out.writeBytes(frame.getPayload());
            }
        }).awaitCompletion(30, TimeUnit.SECONDS);
        Long code = docker.inspectExecCmd(id).exec().getExitCodeLong();
        if (code == null || code != 0 || !out.toString(StandardCharsets.UTF_8).equals("hello\n")) {
            throw new IOException("docker-java exec gave exit " + code + " and output " + out);
        }
    }

    /** Whether the engine has {@code network} (the sandboxes' own exists once any server made a sandbox). */
    public boolean networkPresent(String network) {
        try {
            docker.inspectNetworkCmd().withNetworkId(network).exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The engine's floor for a burst: {@code n} containers created and started on {@code network} ({@code sleep},
     * like a sandbox without our hardening), {@code atOnce} at a time. Returns the wall time in nanoseconds, or -1
     * when one failed. They are removed by {@link #close()}, after the clock stopped (a run's removal is off its answer
     * path too).
     */
    public long createAndStart(String network, int n, int atOnce) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(atOnce);
        AtomicBoolean failed = new AtomicBoolean();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                pool.execute(() -> {
                    try {
                        String id = docker.createContainerCmd(image).withLabels(Map.of(LABEL, runId))
                                .withName("agentkernel-bench-" + runId + "-" + UUID.randomUUID().toString().substring(0, 8))
                                .withEntrypoint("sleep").withCmd("infinity")
                                .withHostConfig(HostConfig.newHostConfig().withNetworkMode(network))
                                .exec().getId();
                        docker.startContainerCmd(id).exec();
                    } catch (RuntimeException e) {
                        failed.set(true);
                    }
                });
            }
        } finally {
            pool.shutdown();
        }
        pool.awaitTermination(10, TimeUnit.MINUTES);
        long took = System.nanoTime() - start;
        return failed.get() ? -1 : took;
    }

    /** The long-running container of this run (also used for the docker exec CLI baseline). */
    public synchronized String container() {
        if (container == null) {
            container = docker.createContainerCmd(image).withLabels(Map.of(LABEL, runId))
                    .withName("agentkernel-bench-" + runId + "-" + UUID.randomUUID().toString().substring(0, 4))
                    .withEntrypoint("sleep").withCmd("infinity").exec().getId();
            docker.startContainerCmd(container).exec();
        }
        return container;
    }

    /** Removes every container labelled with this run's id. */
    @Override
    public void close() throws IOException {
        try {
            docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, runId)).exec()
                    .forEach(c -> {
                        try {
                            docker.removeContainerCmd(c.getId()).withForce(true).exec();
                        } catch (RuntimeException ignored) {
                            // already gone
                        }
                    });
        } catch (RuntimeException ignored) {
            // engine gone: nothing we can remove
        } finally {
            docker.close();
        }
    }
}
