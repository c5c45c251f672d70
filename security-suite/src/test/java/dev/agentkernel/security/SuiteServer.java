package dev.agentkernel.security;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.server.testing.FailOnBlockedEventLoop;

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
 * A real server on a loopback port (port 0) with the real Docker backend and a private audit file, run in this
 * JVM so that its threads and file handles can be counted. Every container it makes carries this JVM's instance id
 * as owner label, which is how the suite counts (and finally sweeps) only what it made.
 */
final class SuiteServer implements AutoCloseable {
    static final String BUSYBOX = "agentkernel/busybox:local";
    static final String PYTHON = "agentkernel/python:local";

    /** What a case may want to change. */
    record Options(Duration idleTimeout, int maxConcurrentRuns, Duration admissionWait, Path auditPath,
                   String dockerHost, Duration timeout, String pull) {
        static Options defaults() {
            return new Options(Duration.ofSeconds(10), 8, Duration.ofSeconds(2), null, null, Duration.ofSeconds(60),
                    "false");
        }

        /** {@code docker.pull} of the backend; only cases whose images name loopback may turn it on. */
        Options withPull(String p) {
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, auditPath, dockerHost, timeout, p);
        }

        Options withIdleTimeout(Duration d) {
            return new Options(d, maxConcurrentRuns, admissionWait, auditPath, dockerHost, timeout, pull);
        }

        Options withRuns(int runs, Duration wait) {
            return new Options(idleTimeout, runs, wait, auditPath, dockerHost, timeout, pull);
        }

        Options withAudit(Path p) {
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, p, dockerHost, timeout, pull);
        }

        Options withDockerHost(String h) {
            return new Options(idleTimeout, maxConcurrentRuns, admissionWait, auditPath, h, timeout, pull);
        }
    }

    private static SuiteServer shared;

    final String apiKey;
    final Path dir;
    final Path auditFile;
    final AgentKernel kernel;
    final AgentKernelServer server;
    final RawHttp http;
    final AgentKernelConfig config;

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
        props.put(DockerBackend.PULL_PROPERTY, o.pull());
        if (o.dockerHost() != null) {
            props.put(DockerBackend.DOCKER_HOST_PROPERTY, o.dockerHost());
        }
        DockerBackend backend = DockerBackend.open(new BackendSettings(DockerBackend.ID, owner(), props));
        String me = owner();
        this.kernel = AgentKernel.builder().backend(backend).config(config).admissionWait(o.admissionWait())
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
