package dev.agentkernel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.audit.AuditLog;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code agentkernel port} on the embedded kernel over the fake backend, whose ports are this host's loopback (an
 * HTTP server here plays the sandbox's web app): the forwarder relaying real TCP connections, listing, closing,
 * {@code create --port}, and, seen as a server's client ({@link ServerLikePorts}), the signed URL.
 */
@Timeout(60)
class PortCommandTest {
    // The kernel's audit log, and with it its state files, in a directory of the test's, never the user's home.
    @TempDir
    Path dir;
    private AgentKernel kernel;
    private HttpServer app;
    private int appPort;

    @BeforeEach
    void setUp() throws IOException {
        kernel = AgentKernel.builder().backend(new FakeBackend()).config(ConfigFiles.oneShot(AgentKernelConfig.defaults()))
                .auditLog(AuditLog.open(dir.resolve("audit.jsonl"))).build();
        kernel.create(SandboxSpec.named("web"));
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("hello from " + exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // a stalled exchange blocks no other
        app.start();
        appPort = app.getAddress().getPort();
    }

    @AfterEach
    void tearDown() {
        app.stop(0);
        kernel.close();
    }

    private CliHarness cli(Sandboxes sandboxes) {
        return new CliHarness((connection, console) -> sandboxes);
    }

    /** The kernel as a server's client sees it: URLs signed. */
    private CliHarness server() {
        return cli(new ServerLikePorts(kernel, true, true).sandboxes);
    }

    @Test
    void withAServerItExposesAndPrintsTheSignedUrl() throws Exception {
        ServerLikePorts ports = new ServerLikePorts(kernel, true, true);
        CliHarness cli = cli(ports.sandboxes);
        CliHarness.Result r = cli.run("port", "web", "8000", "--ttl", "30m");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("http://8000-web.localhost:18888/?agentkernel_token=t\n");
        assertThat(kernel.exposedPorts("web")).extracting(ExposedPort::port).containsExactly(8000);

        JsonNode j = Json.MAPPER.readTree(cli.run("port", "web", "8000", "--json").out());
        assertThat(j.get("port").asInt()).isEqualTo(8000);
        assertThat(j.get("url").asText()).startsWith("http://8000-web.localhost");
        assertThat(j.get("expires_at").asText()).isEqualTo("2030-01-01T01:00:00Z");
        assertThat(ports.opened).as("a URL needs no connection").hasValue(0);
    }

    @Test
    void listsAndClosesPorts() throws Exception {
        CliHarness cli = server();
        cli.run("port", "web", "8000");
        cli.run("port", "web", "3000");
        CliHarness.Result table = cli.run("port", "web", "--list");
        assertThat(table.exitCode()).isZero();
        assertThat(table.out()).startsWith("PORT").containsPattern("(?m)^3000 .*\\n8000 ");
        JsonNode list = Json.MAPPER.readTree(cli.run("port", "web", "--list", "--json").out());
        assertThat(list).hasSize(2);
        assertThat(list.get(0).get("port").asInt()).isEqualTo(3000);

        assertThat(cli.run("port", "web", "8000", "--close").out()).isEqualTo("web:8000 closed\n");
        assertThat(kernel.exposedPorts("web")).extracting(ExposedPort::port).containsExactly(3000);
        CliHarness.Result again = cli.run("port", "web", "8000", "--close");
        assertThat(again.exitCode()).as("not exposed: not found").isEqualTo(3);
        assertThat(again.err()).contains("not exposed");
    }

    @Test
    void createExposesItsPortsRightAfterStart() throws Exception {
        CliHarness cli = cli(new ServerLikePorts(kernel, false, true).sandboxes);
        CliHarness.Result created = cli.run("create", "app", "--port", "8000", "--port", "3000");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        JsonNode list = Json.MAPPER.readTree(cli.run("port", "app", "--list", "--json").out());
        assertThat(list).extracting(p -> p.get("port").asInt()).containsExactly(3000, 8000);
        CliHarness.Result twice = cli.run("create", "app2", "--port", "80", "--port", "80");
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("listed twice");
    }

    @Test
    void badInputIsAUsageError() {
        CliHarness cli = cli(new ServerLikePorts(kernel, false, true).sandboxes);
        assertThat(cli.run("port", "web").exitCode()).isEqualTo(2);
        assertThat(cli.run("port", "web", "0").exitCode()).isEqualTo(2);
        assertThat(cli.run("port", "web", "80", "--listen", "localhost:99999").exitCode()).isEqualTo(2);
        assertThat(cli.run("port", "web", "80", "--ttl", "soon").exitCode()).isEqualTo(2);
        assertThat(cli.run("port", "nosuch!", "80").exitCode()).isEqualTo(2);
    }

    @Test
    void embeddedItForwardsUntilStopped() throws Exception {
        ServerLikePorts ports = new ServerLikePorts(kernel, false, true); // the kernel as it is, counted
        LiveCli live = LiveCli.start((connection, console) -> ports.sandboxes, Map.of(),
                "port", "web", String.valueOf(appPort));
        String url = live.awaitOut(Pattern.compile("Forwarding (http://127\\.0\\.0\\.1:\\d+) -> web:" + appPort),
                Duration.ofSeconds(20)).group(1);

        for (int i = 0; i < 3; i++) { // a client each: each request its own connection, each relayed
            HttpResponse<String> page = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(url + "/page?" + i)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.body()).isEqualTo("hello from /page?" + i);
        }
        assertThat(ports.opened).hasValue(3);

        live.interrupt(); // as Ctrl-C ends the wait
        assertThat(live.exitCode(Duration.ofSeconds(10))).isEqualTo(ExitStatus.INTERRUPTED);
        assertThat(connects(URI.create(url).getPort())).as("stopped listening").isFalse();
    }

    @Test
    void forwardingWhereOpenPortIsUnsupportedEndsWithExit9() throws Exception {
        Sandboxes remote = new ServerLikePorts(kernel, true, false).sandboxes; // URLs yes, raw connections no
        LiveCli live = LiveCli.start((connection, console) -> remote, Map.of(),
                "port", "web", "8000", "--listen", "127.0.0.1:0");
        String url = live.awaitOut(Pattern.compile("Forwarding (http://\\S+) "), Duration.ofSeconds(20)).group(1);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), URI.create(url).getPort())) {
            assertThat(s.getInputStream().read()).as("the connection is closed, nothing relayed").isEqualTo(-1);
        }
        assertThat(live.exitCode(Duration.ofSeconds(10))).isEqualTo(9);
        assertThat(live.err()).contains("proxy path");
    }

    /** Bytes both ways, many times the window, arrive whole and in order; a half close still gets its answer. */
    @Test
    void bulkTransferBothWaysThroughTheWindow() throws Exception {
        int size = 5 * (1 << 20);
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // The test fails on the client side.
                }
            });
            server.setDaemon(true);
            server.start();
            kernel.exposePort("web", echo.getLocalPort());
            try (PortForwarder f = PortForwarder.start(kernel, "web", echo.getLocalPort(),
                    PortForwarder.parseListen(null), problem -> { })) {
                byte[] data = new byte[size];
                new java.util.Random(7).nextBytes(data);
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.address().getPort())) {
                    Thread writer = new Thread(() -> {
                        try {
                            OutputStream o = s.getOutputStream();
                            o.write(data);
                            s.shutdownOutput();
                        } catch (IOException ignored) {
                            // Seen as a short read below.
                        }
                    });
                    writer.start();
                    byte[] back = s.getInputStream().readAllBytes();
                    assertThat(back.length).isEqualTo(size);
                    assertThat(MessageDigest.getInstance("SHA-256").digest(back))
                            .isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
                }
            }
        }
    }

    /**
     * A local client that reads nothing while the "sandbox" floods it: only its own connection waits (the sandbox
     * side stops at one window), another connection's request still gets its answer at once.
     */
    @Test
    void aClientThatDoesNotReadPausesOnlyItsOwnConnection() throws Exception {
        app.createContext("/flood", exchange -> {
            exchange.sendResponseHeaders(200, 0); // chunked, endless until the reader goes away
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream o = exchange.getResponseBody()) {
                for (int i = 0; i < 4096; i++) { // 256 MiB at most
                    o.write(chunk);
                }
            } catch (IOException readerGone) {
                // the forwarder closed the connection
            }
        });
        kernel.exposePort("web", appPort);
        try (PortForwarder f = PortForwarder.start(kernel, "web", appPort, PortForwarder.parseListen(null),
                problem -> { });
             Socket stalled = new Socket(InetAddress.getLoopbackAddress(), f.address().getPort())) {
            stalled.setReceiveBufferSize(4096);
            stalled.getOutputStream().write("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(500); // the flood fills the window and the socket buffers, then waits
            URI url = URI.create("http://127.0.0.1:" + f.address().getPort() + "/page");
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(page.body()).isEqualTo("hello from /page");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            }
        }
    }

    /** A listen address that is taken: a clear conflict, and no socket left open for each attempt. */
    @Test
    void aTakenListenAddressIsAConflictAndLeavesNoSocketOpen() throws Exception {
        kernel.exposePort("web", appPort);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort());
            long before = openFiles();
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> PortForwarder.start(kernel, "web", appPort, listen, problem -> { }))
                        .isInstanceOf(AgentKernelException.ConflictException.class)
                        .hasMessageStartingWith("Cannot listen on").hasMessageContaining(":" + taken.getLocalPort() + ": ");
            }
            // 50 leaked sockets would show; the slack is for files the JVM opens meanwhile (classes, jars)
            assertThat(openFiles() - before).isLessThan(10);
        }
    }

    private static long openFiles() throws IOException {
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void listenParsesHostAndPort() {
        assertThat(PortForwarder.parseListen(null).getAddress().isLoopbackAddress()).isTrue();
        assertThat(PortForwarder.parseListen("8080").getPort()).isEqualTo(8080);
        assertThat(PortForwarder.parseListen("0.0.0.0:81").getHostString()).isEqualTo("0.0.0.0");
        assertThat(PortForwarder.parseListen("[::1]:82").getAddress().isLoopbackAddress()).isTrue();
    }

    private static boolean connects(int port) {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
