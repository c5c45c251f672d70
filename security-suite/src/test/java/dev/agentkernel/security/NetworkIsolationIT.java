package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.ContainerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sandboxes cannot reach each other, in any profile, nor the host's services: the defences are our own bridge
 * network with inter-container traffic off and the host firewall that {@code scripts/docker-bootstrap.sh} installs
 * for it. Targets are only our own sandboxes, the bridge gateways of this engine and a listener this test binds on
 * 0.0.0.0.
 */
@SuiteKind(Kind.SANDBOX)
class NetworkIsolationIT extends SuiteBase {
    private static final String SANDBOX_NETWORK = "agentkernel-sandboxes";
    private static final int PORT = 7070;
    private static ServerSocket hostListener;
    private static final List<String> hostConnections = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void hostListener() throws IOException {
        hostListener = new ServerSocket();
        hostListener.bind(new InetSocketAddress("0.0.0.0", 0));
        Thread t = new Thread(() -> {
            while (!hostListener.isClosed()) {
                try (Socket s = hostListener.accept()) {
                    if (!s.getInetAddress().isLoopbackAddress()) {
                        hostConnections.add(s.getInetAddress().getHostAddress());
                    }
                    try (OutputStream out = s.getOutputStream()) {
                        out.write("host-only-secret\n".getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // closed at the end, or a peer that went away
                }
            }
        }, "network-isolation-host-listener");
        t.setDaemon(true);
        t.start();
    }

    @AfterAll
    static void closeListener() throws IOException {
        hostListener.close();
    }

    @ParameterizedTest(name = "[{index}] two {0} sandboxes cannot reach each other")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void sandboxesCannotReachEachOther(String profile) throws Exception {
        String a = sandbox("net-a-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        String b = sandbox("net-b-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        String ipA = ipv4Of(a);
        if (profile.equals("restrictive")) {
            assertThat(ipA).as("a restrictive sandbox has no address to reach").isEmpty();
            return;
        }
        assertThat(ipA).isNotEmpty();
        // A listens (one connection, then it ends); B tries for a few seconds; then A checks its own listener
        // from inside, which proves it was listening all along.
        CompletableFuture<RawHttp.Response> listener = CompletableFuture.supplyAsync(() -> http().post(
                "/sandboxes/" + a + "/exec", cmd("\"timeout_ms\":30000", "nc", "-l", "-p", String.valueOf(PORT),
                        "-e", "echo", "secret-of-" + a)));
        assertThat(waitUntil(10_000, () -> exec(a, "netstat -ltn").contains(":" + PORT))).as("A listens").isTrue();
        String fromB = exec(b, "for i in 1 2 3; do nc -w 2 " + ipA + " " + PORT + " </dev/null && echo CONNECTED; "
                + "sleep 0.3; done; echo end");
        String fromA = exec(a, "nc -w 2 127.0.0.1 " + PORT + " </dev/null; echo end");
        RawHttp.Response l = track(listener.get(40, TimeUnit.SECONDS));
        assertThat(fromA).as("the listener was up").contains("secret-of-" + a);
        assertThat(fromB).contains("end").doesNotContain("CONNECTED", "secret-of-");
        assertThat(l.status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "[{index}] a {0} sandbox cannot reach a host service")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void hostServicesUnreachable(String profile) throws IOException {
        hostConnections.clear();
        // The listener answers on loopback (so it is up) ...
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), hostListener.getLocalPort())) {
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("host-only-secret");
        }
        // ... but not through any of the host's addresses a sandbox can name: the gateways of this engine's bridges.
        String box = sandbox("net-h-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX);
        StringBuilder script = new StringBuilder("gw=$(ip route | awk '/default/ {print $3}'); for h in $gw");
        for (String gw : gateways()) {
            script.append(' ').append(gw);
        }
        script.append("; do nc -w 3 $h ").append(hostListener.getLocalPort())
                .append(" </dev/null && echo REACHED_$h; done; echo end");
        String out = exec(box, script.toString());
        assertThat(out).contains("end").doesNotContain("REACHED", "host-only-secret");
        assertThat(hostConnections).as("connections from sandboxes to the host listener").isEmpty();
    }

    private String exec(String box, String script) {
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec",
                cmd("\"timeout_ms\":30000", "sh", "-c", script)));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode d = r.data();
        return d.path("output").asText();
    }

    /** The sandbox's IPv4 address on any network, "" when it has none (the suite's own eyes, not the API). */
    private static String ipv4Of(String sandbox) {
        Map<String, ContainerNetwork> nets = Engine.client().inspectContainerCmd(Engine.containerOf(sandbox)).exec()
                .getNetworkSettings().getNetworks();
        return nets.values().stream().map(ContainerNetwork::getIpAddress).filter(ip -> ip != null && !ip.isEmpty())
                .findFirst().orElse("");
    }

    /** The gateways (host addresses) of the sandbox network and of the engine's default bridge. */
    private static Set<String> gateways() {
        Set<String> out = new LinkedHashSet<>();
        for (String net : List.of(SANDBOX_NETWORK, "bridge")) {
            try {
                Engine.client().inspectNetworkCmd().withNetworkId(net).exec().getIpam().getConfig()
                        .forEach(c -> out.add(c.getGateway()));
            } catch (RuntimeException e) {
                // the sandbox network does not exist before the first networked sandbox; the route gives it then
            }
        }
        out.remove(null);
        return out;
    }
}
