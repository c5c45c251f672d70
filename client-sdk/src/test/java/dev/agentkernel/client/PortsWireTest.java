package dev.agentkernel.client;

import com.sun.net.httpserver.HttpServer;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The port operations' requests (method, path, body) and answers, against a stub server that answers what the
 * design's HTTP contract shows; errors come back through the one code/status table.
 */
class PortsWireTest {
    private HttpServer server;
    private AgentKernelClient client;
    /** "METHOD path body" of every request the stub saw. */
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String answer = "{}";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + body);
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
        client = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.getAddress().getPort())
                .apiKey("k").build();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void exposeSendsThePortAndReadsTheExposure() {
        answer = "{\"success\":true,\"data\":{\"port\":8000,\"exposed_at\":\"2026-12-03T10:00:00Z\","
                + "\"path\":\"/sandboxes/web/ports/8000/\"}}";
        ExposedPort p = client.exposePort("web", 8000);
        assertThat(p).isEqualTo(new ExposedPort(8000, Instant.parse("2026-12-03T10:00:00Z")));
        assertThat(seen).containsExactly("POST /sandboxes/web/ports {\"port\":8000}");
    }

    @Test
    void listReadsEveryPortInOrder() {
        answer = "{\"success\":true,\"data\":[{\"port\":3000,\"exposed_at\":\"2026-12-03T10:00:00Z\"},"
                + "{\"port\":8000,\"exposed_at\":\"2026-12-03T11:00:00+01:00\"}]}";
        assertThat(client.exposedPorts("web")).containsExactly(
                new ExposedPort(3000, Instant.parse("2026-12-03T10:00:00Z")),
                new ExposedPort(8000, Instant.parse("2026-12-03T10:00:00Z")));
        assertThat(seen).containsExactly("GET /sandboxes/web/ports ");
    }

    @Test
    void unexposeDeletesThePort() {
        answer = "{\"success\":true,\"message\":\"Port 8000 of web closed\"}";
        client.unexposePort("web", 8000);
        assertThat(seen).containsExactly("DELETE /sandboxes/web/ports/8000 ");
    }

    @Test
    void urlSendsTheTtlInSecondsOrNoneForTheDefault() {
        answer = "{\"success\":true,\"data\":{\"port\":8000,\"url\":\"http://8000-web.localhost:18888/?agentkernel_token=abc\","
                + "\"expires_at\":\"2026-12-03T11:00:00Z\"}}";
        PortUrl url = client.portUrl("web", 8000, Duration.ofMinutes(30));
        assertThat(url).isEqualTo(new PortUrl(8000, URI.create("http://8000-web.localhost:18888/?agentkernel_token=abc"),
                Instant.parse("2026-12-03T11:00:00Z")));
        client.portUrl("web", 8000, null);
        assertThat(seen).containsExactly("POST /sandboxes/web/ports/8000/url {\"ttl\":\"1800\"}",
                "POST /sandboxes/web/ports/8000/url {}");
    }

    @Test
    void errorsKeepTheirCode() {
        status = 404;
        answer = "{\"success\":false,\"error\":\"Port 8000 of web is not exposed\",\"code\":\"not_found\"}";
        assertThatThrownBy(() -> client.portUrl("web", 8000, null))
                .isInstanceOf(AgentKernelException.NotFoundException.class).hasMessage("Port 8000 of web is not exposed");
        status = 429;
        answer = "{\"success\":false,\"error\":\"too many exposed ports\"}";
        assertThatThrownBy(() -> client.exposePort("web", 8001)).isInstanceOf(AgentKernelException.BusyException.class);
    }

    @Test
    void badInputIsRefusedBeforeAnyRequest() {
        assertThatThrownBy(() -> client.exposePort("web", 0)).isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("port 0");
        assertThatThrownBy(() -> client.unexposePort("../x", 80))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThatThrownBy(() -> client.portUrl("web", 80, Duration.ZERO))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class);
        assertThat(seen).isEmpty();
    }

    @Test
    void anAnswerWithoutItsFieldsIsAProtocolError() {
        answer = "{\"success\":true,\"data\":{\"port\":8000}}";
        assertThatThrownBy(() -> client.exposePort("web", 8000)).hasMessageContaining("exposed_at");
        answer = "{\"success\":true,\"data\":{\"port\":8000}}";
        assertThatThrownBy(() -> client.exposedPorts("web")).hasMessageContaining("not an array");
    }

    @Test
    void openPortRemotelyNamesTheProxyPath() {
        PortListener ignored = new PortListener() {
            @Override
            public void onData(byte[] data) {
            }

            @Override
            public void onEnd() {
            }

            @Override
            public void onClosed(String error) {
            }
        };
        assertThatThrownBy(() -> client.openPort("web", 8000, ignored))
                .isInstanceOf(AgentKernelException.UnsupportedException.class)
                .hasMessageContaining("/sandboxes/web/ports/8000/").hasMessageContaining("portUrl");
        assertThat(seen).isEmpty();
    }
}
