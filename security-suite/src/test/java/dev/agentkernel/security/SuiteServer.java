package dev.agentkernel.security;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.kubernetes.KubernetesBackend;
import dev.agentkernel.kubesim.SharedSim;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.server.testing.FailOnBlockedEventLoop;
import dev.agentkernel.testkit.BackendView;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real server on a loopback port (port 0) with a real backend (Docker by default; Kubernetes on the simulated
 * cluster for the cases run there too) and a private audit file, run in this JVM so that its threads and file
 * handles can be counted. Every sandbox it makes carries this JVM's instance id as owner, which is how the suite
 * counts (through the backend's {@link BackendView}) and finally sweeps only what it made.
 */
final class SuiteServer implements AutoCloseable {
    static final String BUSYBOX = "agentkernel/busybox:local";
    static final String PYTHON = "agentkernel/python:local";

    /** What a case may want to change. */
    record Options(Duration idleTimeout, int maxConcurrentRuns, Duration admissionWait, Path auditPath,
                   String dockerHost, Duration timeout, Map<String, String> backend, String backendId) {
        static Options defaults() {
            return new Options(Duration.ofSeconds(10), 8, Duration.ofSeconds(2), null, null, Duration.ofSeconds(60),
                    Map.of(DockerBackend.PULL_PROPERTY, "false"), DockerBackend.ID);
        }

        /** The Kubernetes backend on this JVM's simulated cluster, pointed at it as a user would: a kubeconfig. */
        static Options kubernetes() {
            Options d = defaults();
            return new Options(d.idleTimeout(), d.maxConcurrentRuns(), d.admissionWait(), null, null, d.timeout(),
                    SharedSim.backendProperties(), KubernetesBackend.ID);
        }

        /** {@code docker.pull} of the backend; only cases whose images name loopback may turn it on. */
        Options withPull(String p) {
            return withBackendProperty(DockerBackend.PULL_PROPERTY, p);
        }

        /** A backend setting (e.g. {@code docker.disk_mb}). */
        Options withBackendProperty(String key, String value) {
            Map<String, String> b = new LinkedHashMap<>(backend);
            b.put(key, value);
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, auditPath, dockerHost, timeout, b, backendId);
        }

        Options withIdleTimeout(Duration d) {
            return new Options(d, maxConcurrentRuns, admissionWait, auditPath, dockerHost, timeout, backend, backendId);
        }

        Options withRuns(int runs, Duration wait) {
            return new Options(idleTimeout, runs, wait, auditPath, dockerHost, timeout, backend, backendId);
        }

        Options withAudit(Path p) {
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, p, dockerHost, timeout, backend, backendId);
        }

        Options withDockerHost(String h) {
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, auditPath, h, timeout, backend, backendId);
        }
    }

    private static SuiteServer shared;
    private static SuiteServer sharedKubernetes;

    final String apiKey;
    final Path dir;
    final Path auditFile;
    final AgentKernel kernel;
    final AgentKernelServer server;
    final RawHttp http;
    final AgentKernelConfig config;
    /** The suite's own eyes on what the backend made. */
    final BackendView view;

    private SuiteServer(Options o) {
        try {
            this.dir = Files.createTempDirectory("ak-suite-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.apiKey = "suite-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
        this.auditFile = o.auditPath() != null ? o.auditPath() : dir.resolve("audit.jsonl");
        AgentKernelConfig d = AgentKernelConfig.forTests(auditFile);
        this.config = d.withLimits(new AgentKernelConfig.Limits(o.timeout(), d.limits().maxOutputBytes(),
                        d.limits().maxFileBytes(), o.maxConcurrentRuns()))
                .withServer(new AgentKernelConfig.Server("127.0.0.1", 0, java.util.List.of(), java.util.List.of(),
                        d.server().maxBodyBytes(), o.idleTimeout(), Duration.ofSeconds(2)));
        Map<String, String> props = new LinkedHashMap<>();
        props.putAll(o.backend());
        if (o.dockerHost() != null) {
            props.put(DockerBackend.DOCKER_HOST_PROPERTY, o.dockerHost());
        }
        boolean docker = o.backendId().equals(DockerBackend.ID);
        this.view = docker ? BackendView.docker() : SharedSim.view();
        String me = owner();
        this.kernel = AgentKernel.builder().backend(Backends.open(new BackendSettings(o.backendId(), me, props)))
                .config(config).admissionWait(o.admissionWait())
                .reconcileFilter(s -> me.equals(s.owner())).build().start();
        this.server = AgentKernelServer.start(kernel, ServerOptions.from(config, apiKey)
                .withBlockedLoopWarning(FailOnBlockedEventLoop.WARNING));
        this.http = new RawHttp(server.port(), apiKey);
    }

    /** The owner label of every container made by servers of this JVM. */
    static String owner() {
        return InstanceId.current();
    }

    static SuiteServer start(Options o) {
        return new SuiteServer(o);
    }

    /** One server for the cases that need no special options; closed when the JVM ends. */
    static synchronized SuiteServer shared() {
        if (shared == null) {
            shared = start(Options.defaults());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> shared.close(), "suite-shared-close"));
        }
        return shared;
    }

    /** One server on the Kubernetes backend and the simulated cluster; closed when the JVM ends. */
    static synchronized SuiteServer sharedKubernetes() {
        if (sharedKubernetes == null) {
            sharedKubernetes = start(Options.kubernetes());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> sharedKubernetes.close(), "suite-kube-close"));
        }
        return sharedKubernetes;
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            kernel.close();
        }
    }
}
