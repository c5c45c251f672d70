package dev.agentkernel.kubesim;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CountDownLatch;

/**
 * A simulated Kubernetes cluster on this machine: fabric8's mock API server in CRUD mode (pods, claims, config maps,
 * network policies, leases... stored and watched as a real API server would), with {@link SimKubelet} as its one node,
 * which runs every pod as a real container on the local Docker engine and serves {@code exec} and {@code attach}.
 *
 * <p>Everything it makes on the engine carries {@value #LABEL} = its id and is removed by {@link #close()}; what a
 * killed simulator left behind is removed by the next one that starts ({@link #reapDead}).
 *
 * <p>Run from the command line ({@code scripts/kube-sim.sh}) it writes a kubeconfig and serves until stopped.
 */
public final class KubeSim implements AutoCloseable {
    /** On every container and volume the simulator makes; the value is the simulator's id. */
    public static final String LABEL = "dev.agentkernel.kubesim";
    public static final String DEFAULT_NAMESPACE = "agentkernel";
    /** The simulated node's {@code podPidsLimit} (a kubelet setting; the pod spec has no pids limit). */
    public static final long DEFAULT_POD_PIDS_LIMIT = 256;

    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final DockerClient docker;
    private final SimKubelet kubelet;
    private final String id;

    /**
     * What the simulated node's image pulls fetch: an image named here that is not on the engine is "pulled" as the
     * local image it maps to. A node of a real cluster pulls the images the seed's requests name (python:3.12-alpine
     * when no image is given) from their registry; nothing can be pulled here, so the simulated registry serves the
     * project's offline builds of them. Any other missing image is {@code ErrImagePull}.
     */
    public static final Map<String, String> DEFAULT_REGISTRY = Map.of(
            "python:3.12-alpine", "agentkernel/python:local",
            "busybox:1.36", "agentkernel/busybox:local");

    /**
     * How to start: the port (0 for any free one), the node's pod pids limit, the {@code docker} executable, the
     * simulated registry (image name -> local image a pull gets).
     */
    public record Options(int port, long podPidsLimit, String dockerExecutable, Map<String, String> registry) {
        public Options {
            registry = Map.copyOf(registry);
        }

        public static Options defaults() {
            return new Options(0, DEFAULT_POD_PIDS_LIMIT, "docker", DEFAULT_REGISTRY);
        }

        public Options withPort(int newPort) {
            return new Options(newPort, podPidsLimit, dockerExecutable, registry);
        }
    }

    private KubeSim(KubernetesMockServer server, KubernetesClient client, DockerClient docker, SimKubelet kubelet,
                    String id) {
        this.server = server;
        this.client = client;
        this.docker = docker;
        this.kubelet = kubelet;
        this.id = id;
    }

    public static KubeSim start() {
        return start(Options.defaults());
    }

    public static KubeSim start(Options options) {
        QUIET.setLevel(java.util.logging.Level.WARNING); // the mock server logs every request at INFO
        DockerClient docker = dockerClient();
        reapDead(docker);
        String id = HexFormat.of().formatHex(SecureRandom.getSeed(6));
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMixedDispatcher api = new KubernetesMixedDispatcher(responses);
        SimKubelet[] kubelet = new SimKubelet[1];
        KubeletDispatcher dispatcher = new KubeletDispatcher(api, () -> kubelet[0], new DockerCli(options.dockerExecutable()));
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher,
                false);
        server.init(InetAddress.getLoopbackAddress(), options.port());
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config(server.getPort(), DEFAULT_NAMESPACE))
                .build();
        kubelet[0] = new SimKubelet(client, docker, id, options.podPidsLimit(), options.registry());
        try {
            kubelet[0].start();
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(DEFAULT_NAMESPACE)
                    .endMetadata().build()).create();
        } catch (RuntimeException e) {
            kubelet[0].close();
            client.close();
            server.destroy();
            throw e;
        }
        return new KubeSim(server, client, docker, kubelet[0], id);
    }

    /** The API server's address, {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    public int port() {
        return server.getPort();
    }

    /** This simulator's id: the value of {@value #LABEL} on what it made on the engine. */
    public String id() {
        return id;
    }

    /** A client of the simulator's own (closed with it). */
    public KubernetesClient client() {
        return client;
    }

    /** A client configuration for {@code namespace}, as a kubeconfig written by {@link #writeKubeconfig} gives. */
    public Config config(String namespace) {
        return config(server.getPort(), namespace);
    }

    private static Config config(int port, String namespace) {
        return new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + port).withNamespace(namespace)
                .withTrustCerts(true).withRequestTimeout(30_000).withConnectionTimeout(5_000).build();
    }

    /** Writes a kubeconfig whose current context is this cluster and {@code namespace}; returns the file. */
    public Path writeKubeconfig(Path file, String namespace) {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: kubesim
                  cluster:
                    server: %s
                users:
                - name: kubesim
                  user:
                    token: kubesim
                contexts:
                - name: kubesim
                  context:
                    cluster: kubesim
                    user: kubesim
                    namespace: %s
                current-context: kubesim
                """.formatted(url(), namespace);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    @Override
    public void close() {
        try {
            kubelet.close();
        } finally {
            client.close();
            server.destroy();
            try {
                docker.close();
            } catch (IOException ignored) {
                // closing the connection pool cannot fail in a way we can act on
            }
        }
    }

    // ---- the engine ---------------------------------------------------------------------------------------------

    static DockerClient dockerClient() {
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder().build();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig()).maxConnections(64).connectionTimeout(Duration.ofSeconds(5)).build();
        return DockerClientImpl.getInstance(config, http);
    }

    /**
     * Removes what simulators that are no longer running left behind (a JVM killed before {@link #close()}): their
     * pid is on every container and volume they made, and a pid that is gone, or is now someone else, is dead.
     */
    static void reapDead(DockerClient docker) {
        Map<String, Boolean> alive = new HashMap<>();
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(java.util.List.of(LABEL)).exec()) {
            String sim = c.getLabels().get(LABEL);
            if (!alive.computeIfAbsent(sim, s -> pidAlive(c.getLabels().get(LABEL + ".pid")))) {
                removeEverythingLabelled(docker, Map.of(LABEL, sim));
            }
        }
        for (var v : docker.listVolumesCmd().withFilter("label", java.util.List.of(LABEL)).exec().getVolumes()) {
            Map<String, String> l = v.getLabels() == null ? Map.of() : v.getLabels();
            if (!alive.computeIfAbsent(l.get(LABEL), s -> pidAlive(l.get(LABEL + ".pid")))) {
                removeVolume(docker, v.getName());
            }
        }
    }

    private static boolean pidAlive(String pid) {
        try {
            return pid != null && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static void removeEverythingLabelled(DockerClient docker, Map<String, String> labels) {
        for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec()) {
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (NotFoundException | ConflictException ignored) {
                // gone or going (a removal already in progress: its volumes are freed shortly)
            }
        }
        java.util.List<String> filter = labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        boolean left = true;
        while (left && System.nanoTime() < deadline) {
            left = false;
            var volumes = docker.listVolumesCmd().withFilter("label", filter).exec().getVolumes();
            for (var v : volumes == null ? java.util.List.<com.github.dockerjava.api.command.InspectVolumeResponse>of()
                    : volumes) {
                left |= !removeVolume(docker, v.getName());
            }
            if (left) {
                pause();
            }
        }
    }

    /** False when the volume is still in use (by a container whose removal is under way). */
    static boolean removeVolume(DockerClient docker, String name) {
        try {
            docker.removeVolumeCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return true;
        } catch (ConflictException e) {
            return false;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- command line -----------------------------------------------------------------------------------------

    /**
     * {@code KubeSim [--port N] [--kubeconfig FILE] [--namespace NS] [--pod-pids-limit N]}: serves until SIGTERM or
     * Ctrl-C, then removes every container it made.
     */
    public static void main(String[] args) throws InterruptedException {
        Options options = Options.defaults();
        Path kubeconfig = Path.of("kube-sim.kubeconfig");
        String namespace = DEFAULT_NAMESPACE;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> options = options.withPort(Integer.parseInt(require(args[i], value)));
                case "--kubeconfig" -> kubeconfig = Path.of(require(args[i], value));
                case "--namespace" -> namespace = require(args[i], value);
                case "--pod-pids-limit" -> options = new Options(options.port(), Long.parseLong(require(args[i], value)),
                        options.dockerExecutable(), options.registry());
                default -> {
                    System.err.println("usage: kube-sim [--port N] [--kubeconfig FILE] [--namespace NS] "
                            + "[--pod-pids-limit N]");
                    System.exit(2);
                }
            }
            i++;
        }
        KubeSim sim = start(options);
        if (!namespace.equals(DEFAULT_NAMESPACE)) {
            sim.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                    .endMetadata().build()).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
        }
        Path file = sim.writeKubeconfig(kubeconfig.toAbsolutePath(), namespace);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stopped.countDown();
        }, "kube-sim-shutdown"));
        System.out.println("kube-sim listening on " + sim.url() + " (namespace " + namespace + ")");
        System.out.println("kubeconfig written to " + file + "; try: KUBECONFIG=" + file
                + " agentkernel serve --backend kubernetes");
        System.out.flush();
        stopped.await();
    }

    private static String require(String option, String value) {
        if (value == null) {
            System.err.println("missing value for " + option);
            System.exit(2);
        }
        return value;
    }
}
