package dev.agentkernel.security;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Image pulls are not an SSRF: a server that may pull from any registry (so only the reference check stands between
 * the caller and the engine) is asked to run images whose registry is a loopback listener this test binds. The
 * listener must see no connection, and the answer is a 400 that says nothing of what the engine would have said.
 */
@SuiteKind(Kind.VALIDATION)
class ImagePullIT extends SuiteBase {
    private static SuiteServer pulling;
    private static ServerSocket registry;
    private static final List<String> connections = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        registry = new ServerSocket();
        registry.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread t = new Thread(() -> {
            while (!registry.isClosed()) {
                try (Socket s = registry.accept()) {
                    connections.add(s.getRemoteSocketAddress().toString());
                } catch (IOException e) {
                    // closed at the end
                }
            }
        }, "image-pull-fake-registry");
        t.setDaemon(true);
        t.start();
        pulling = SuiteServer.start(SuiteServer.Options.defaults().withPull("*"));
    }

    @AfterAll
    static void stop() throws IOException {
        registry.close();
        pulling.close();
    }

    @Override
    protected SuiteServer server() {
        return pulling;
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"127.0.0.1:PORT/internal/probe:tag", "localhost:PORT/internal/probe", "127.1:PORT/x",
            "2130706433:PORT/x", "0x7f.0.0.1:PORT/x", "0.0.0.0:PORT/x"})
    void imageOnALoopbackRegistryIsRefusedAndNeverContacted(String template) {
        String image = template.replace("PORT", String.valueOf(registry.getLocalPort()));
        for (String path : List.of("/run", "/sandboxes")) {
            String body = path.equals("/run") ? cmd("\"image\":" + q(image), "echo", "hi")
                    : "{\"name\":\"pull-" + Long.toHexString(System.nanoTime() & 0xffffffL) + "\",\"image\":" + q(image) + "}";
            RawHttp.Response r = bad(http().post(path, body));
            assertThat(r.status()).as(r.text()).isEqualTo(400);
            assertThat(r.text()).contains("loopback, link-local or private address")
                    .doesNotContainIgnoringCase("manifest").doesNotContainIgnoringCase("http")
                    .doesNotContainIgnoringCase("connection");
        }
        assertThat(connections).as("connections the engine made to the fake registry").isEmpty();
    }
}
