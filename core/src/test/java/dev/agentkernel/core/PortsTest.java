package dev.agentkernel.core;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Ports in the kernel, on the fake backend whose "sandbox" shares the host's loopback. */
class PortsTest {
    @TempDir
    Path dir;
    private ServerSocket echo;
    private final List<Socket> accepted = new ArrayList<>();

    /** An echo server on loopback: what the "sandbox" listens on. */
    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the test closed it
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stopEcho() throws IOException {
        echo.close();
    }

    private int port() {
        return echo.getLocalPort();
    }

    private AgentKernel kernel(FakeBackend backend, AgentKernelConfig config) {
        return AgentKernel.builder().backend(backend).config(config)
                .auditLog(dev.agentkernel.core.audit.AuditLog.open(dir.resolve("audit.jsonl")))
                .expiryFile(dir.resolve("expiries.json")).expiryInterval(Duration.ZERO).build();
    }

    private AgentKernel kernel(FakeBackend backend) {
        return kernel(backend, AgentKernelConfig.defaults());
    }

    private static List<String> events(AgentKernel k, String name) {
        return k.logs(name, LogQuery.ALL).stream().map(AuditEvent::event).toList();
    }

    /** Collects what a connection hears. */
    static final class Collector implements PortListener {
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        volatile PortStream stream;

        @Override
        public synchronized void onData(byte[] bytes) {
            data.writeBytes(bytes);
            if (stream != null) {
                stream.consumed(bytes.length);
            }
        }

        @Override
        public void onEnd() {
        }

        @Override
        public void onClosed(String error) {
            closed.complete(error == null ? "" : error);
        }

        synchronized String text() {
            return data.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void exposingIsIdempotentAuditedOnceAndKeptAcrossKernels() {
        FakeBackend backend = new FakeBackend();
        ExposedPort first;
        try (AgentKernel k = kernel(backend)) {
            k.create(SandboxSpec.named("web"));
            first = k.exposePort("web", 8000);
            assertThat(k.exposePort("web", 8000)).isEqualTo(first);
            k.exposePort("web", 3000);
            assertThat(k.exposedPorts("web")).extracting(ExposedPort::port).containsExactly(3000, 8000);
            assertThat(events(k, "web").stream().filter("port_exposed"::equals)).hasSize(2);
        }
        assertThat(dir.resolve("ports.json")).exists();
        try (AgentKernel again = kernel(backend)) {
            assertThat(again.exposedPorts("web")).contains(first);
            again.unexposePort("web", 8000);
            assertThat(again.exposedPorts("web")).extracting(ExposedPort::port).containsExactly(3000);
            assertThat(events(again, "web")).contains("port_unexposed");
            assertThatThrownBy(() -> again.unexposePort("web", 8000)).isInstanceOfSatisfying(
                    AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("Port 8000");
        }
    }

    @Test
    void removingTheSandboxDropsItsPortsAndASandboxOfTheSameNameStartsWithNone() {
        try (AgentKernel k = kernel(new FakeBackend())) {
            k.create(SandboxSpec.named("web"));
            k.exposePort("web", 8000);
            k.remove("web");
            k.create(SandboxSpec.named("web"));
            assertThat(k.exposedPorts("web")).isEmpty();
        }
    }

    @Test
    void anExpiredSandboxLosesItsPorts() throws Exception {
        try (AgentKernel k = kernel(new FakeBackend())) {
            k.create(SandboxSpec.named("short").withTtl(Duration.ofSeconds(1)));
            k.exposePort("short", 8000);
            Thread.sleep(1100);
            assertThat(k.reapExpired()).isEqualTo(1);
            assertThat(Files.readString(dir.resolve("ports.json"))).doesNotContain("short");
        }
    }

    @Test
    void exposedPortsAreBoundedPerSandbox() {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig two = d.withPorts(new AgentKernelConfig.Ports(32, 2, Duration.ofHours(24), "localhost"));
        try (AgentKernel k = kernel(new FakeBackend(), two)) {
            k.create(SandboxSpec.named("web"));
            k.exposePort("web", 1);
            k.exposePort("web", 2);
            assertThat(k.exposePort("web", 2).port()).as("again is not one more").isEqualTo(2);
            assertThatThrownBy(() -> k.exposePort("web", 3)).isInstanceOfSatisfying(AgentKernelException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY)).hasMessageContaining("max_exposed_per_sandbox");
            assertThatThrownBy(() -> k.exposePort("web", 0)).hasMessageContaining("Invalid port 0");
        }
    }

    @Test
    void createOptionsExposePortsAfterStartAndTooManyCreateNothing() {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig two = d.withPorts(new AgentKernelConfig.Ports(32, 2, Duration.ofHours(24), "localhost"));
        FakeBackend backend = new FakeBackend();
        try (AgentKernel k = kernel(backend, two)) {
            k.create(SandboxSpec.named("web"), CreateOptions.NONE.withPorts(List.of(8000, 3000)));
            assertThat(k.exposedPorts("web")).extracting(ExposedPort::port).containsExactly(3000, 8000);
            assertThat(events(k, "web")).containsSubsequence("sandbox_created", "port_exposed", "port_exposed");
            assertThatThrownBy(() -> k.create(SandboxSpec.named("big"),
                    CreateOptions.NONE.withPorts(List.of(1, 2, 3)))).hasMessageContaining("ports.max_exposed_per_sandbox");
            assertThat(backend.names()).doesNotContain("big");
        }
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(List.of(80, 80))).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(List.of(70000))).hasMessageContaining("Invalid port");
    }

    @Test
    void aConnectionCarriesBytesBothWaysAndIsAuditedOnceWithItsCounts() throws Exception {
        try (AgentKernel k = kernel(new FakeBackend())) {
            k.create(SandboxSpec.named("web"));
            k.exposePort("web", port());
            Collector c = new Collector();
            PortStream s = k.openPort("web", port(), c);
            c.stream = s;
            s.write("hello port".getBytes(StandardCharsets.UTF_8));
            s.closeWrite();
            assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(c.text()).isEqualTo("hello port");
            AuditEvent closed = awaitEvent(k, "web", "port_connection_closed");
            assertThat(closed.details()).containsEntry("port", port()).containsEntry("bytes_in", 10)
                    .containsEntry("bytes_out", 10).containsKey("duration_ms").doesNotContainKey("error");
        }
    }

    @Test
    void aPortNotExposedAStoppedSandboxAndARefusedPortAreRefused() throws Exception {
        try (AgentKernel k = kernel(new FakeBackend())) {
            k.create(SandboxSpec.named("web"));
            assertThatThrownBy(() -> k.openPort("web", port(), new Collector())).isInstanceOfSatisfying(
                    AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("not exposed");
            int closedPort;
            try (ServerSocket s = new ServerSocket(0)) {
                closedPort = s.getLocalPort();
            }
            k.exposePort("web", closedPort);
            Collector refused = new Collector();
            k.openPort("web", closedPort, refused);
            assertThat(refused.closed.get(10, TimeUnit.SECONDS)).isEqualTo("connection refused");
            assertThat(awaitEvent(k, "web", "port_connection_closed").details())
                    .containsEntry("error", "connection refused");
            k.exposePort("web", port());
            k.stop("web");
            assertThatThrownBy(() -> k.openPort("web", port(), new Collector())).isInstanceOfSatisfying(
                    AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        }
    }

    @Test
    void connectionsAreBoundedPerSandboxAndUnexposingEndsThem() throws Exception {
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig two = d.withPorts(new AgentKernelConfig.Ports(2, 16, Duration.ofHours(24), "localhost"));
        try (AgentKernel k = kernel(new FakeBackend(), two)) {
            k.create(SandboxSpec.named("web"));
            k.exposePort("web", port());
            Collector a = new Collector();
            Collector b = new Collector();
            a.stream = k.openPort("web", port(), a);
            b.stream = k.openPort("web", port(), b);
            assertThatThrownBy(() -> k.openPort("web", port(), new Collector())).isInstanceOfSatisfying(
                    AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY))
                    .hasMessageContaining("max_connections_per_sandbox");
            k.unexposePort("web", port());
            assertThat(a.closed.get(10, TimeUnit.SECONDS)).isNotNull();
            assertThat(b.closed.get(10, TimeUnit.SECONDS)).isNotNull();
            k.exposePort("web", port());
            Collector again = new Collector();
            again.stream = k.openPort("web", port(), again);
            again.stream.close();
            assertThat(again.closed.get(10, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void theEmbeddedKernelSignsNoUrls() {
        try (AgentKernel k = kernel(new FakeBackend())) {
            k.create(SandboxSpec.named("web"));
            k.exposePort("web", 8000);
            assertThatThrownBy(() -> k.portUrl("web", 8000, Duration.ofHours(1))).isInstanceOfSatisfying(
                    AgentKernelException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
        }
    }

    @Test
    void aBackendWithoutPortsIsUnsupported() {
        FakeBackend backend = new FakeBackend().capabilities(java.util.Set.of(dev.agentkernel.api.Capability.STOP_START));
        try (AgentKernel k = kernel(backend)) {
            k.create(SandboxSpec.named("web"));
            assertThatThrownBy(() -> k.exposePort("web", 8000)).isInstanceOfSatisfying(AgentKernelException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED));
        }
    }

    /** port_connection_closed is written off the connection's thread: wait for it. */
    private static AuditEvent awaitEvent(AgentKernel k, String name, String event) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            List<AuditEvent> found = k.logs(name, LogQuery.ALL).stream().filter(e -> e.event().equals(event)).toList();
            if (!found.isEmpty()) {
                return found.get(found.size() - 1);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + event + " in " + events(k, name) + " " + Map.of());
    }
}
