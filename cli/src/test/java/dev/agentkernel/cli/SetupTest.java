package dev.agentkernel.cli;

import dev.agentkernel.cli.setup.EngineProbe;
import dev.agentkernel.cli.setup.EngineSetup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Setup, doctor and the engine probe without touching the real engine: a fake socket, or an address nobody answers. */
class SetupTest {
    @TempDir
    Path tmp;

    /** A minimal engine on a unix socket: 200 for /_ping, /version and one image; 404 for everything else. */
    private static final class FakeEngine implements AutoCloseable {
        final List<String> requests = new ArrayList<>();
        private final ServerSocketChannel server;
        private final Thread thread;

        FakeEngine(Path socket, String presentImage) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            thread = new Thread(() -> {
                while (server.isOpen()) {
                    try (SocketChannel c = server.accept()) {
                        ByteBuffer buf = ByteBuffer.allocate(4096);
                        String head = "";
                        while (!head.contains("\r\n\r\n") && c.read(buf) > 0) {
                            head = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
                        }
                        String path = head.split(" ")[1];
                        synchronized (requests) {
                            requests.add(path);
                        }
                        String body = path.equals("/_ping") ? "OK"
                                : path.equals("/version") ? "{\"Version\":\"99.1\",\"ApiVersion\":\"1.41\"}"
                                : path.equals("/images/" + presentImage + "/json") ? "{}" : null;
                        String status = body == null ? "404 Not Found" : "200 OK";
                        body = body == null ? "{\"message\":\"no\"}" : body;
                        c.write(ByteBuffer.wrap(("HTTP/1.0 " + status + "\r\nContent-Type: application/json\r\n\r\n" + body)
                                .getBytes(StandardCharsets.US_ASCII)));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "fake-engine");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(5000);
        }
    }

    @Test
    void probeAsksTheEngineOnItsSocketAndSetupSeesWhatIsMissing() throws Exception {
        Path socket = tmp.resolve("engine.sock");
        try (FakeEngine engine = new FakeEngine(socket, "agentkernel/busybox:local")) {
            Map<String, String> env = Map.of("DOCKER_HOST", "unix://" + socket);
            EngineProbe probe = EngineProbe.fromEnv(env);
            assertThat(probe.ping().ok()).isTrue();
            assertThat(probe.version().orElseThrow().get("Version").asText()).isEqualTo("99.1");
            assertThat(probe.imagePresent("agentkernel/busybox:local")).isTrue();
            assertThat(probe.imagePresent("agentkernel/python:local")).isFalse();

            EngineSetup.Readiness r = new EngineSetup(env).check();
            assertThat(r.engineUp()).isTrue();
            assertThat(r.ready()).isFalse();
            assertThat(r.missingImages()).containsExactly("agentkernel/python:local");
            assertThat(engine.requests).contains("/_ping", "/images/agentkernel/python:local/json");
        }
    }

    @Test
    void probeOfANonexistentSocketSaysWhy() {
        EngineProbe probe = EngineProbe.fromEnv(Map.of("DOCKER_HOST", "unix://" + tmp.resolve("none.sock")));
        EngineProbe.Result r = probe.ping();
        assertThat(r.ok()).isFalse();
        assertThat(r.why()).isNotBlank();
        assertThat(probe.socketExists()).isFalse();
        assertThat(EngineProbe.fromEnv(Map.of()).endpoint()).isEqualTo("unix:///var/run/docker.sock");
    }

    @Test
    void doctorReportsAnUnreachableEngineWithTheFixAndChangesNothing() {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", tmp.toString());
        env.put("DOCKER_HOST", "unix://" + tmp.resolve("none.sock"));
        CliHarness cli = new CliHarness(new DefaultClientFactory(env), env);
        CliHarness.Result r = cli.run("doctor");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).containsPattern("BAD engine +no answer at unix://" + tmp.resolve("none.sock"))
                .contains("fix: agentkernel setup")
                .containsPattern("ok +config +built-in defaults")
                .contains("audit    " + tmp.resolve(".agentkernel/audit.jsonl"))
                .contains("problems found");
        assertThat(tmp.resolve(".agentkernel/audit.jsonl")).doesNotExist();
    }

    @Test
    void commandsSetUpByThemselvesAndFailWithTheEngineStatusWhenThatCannotWork() {
        // A tcp:// engine that does not answer cannot be started from here: setup says so and stops.
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("HOME", tmp.toString());
        env.put("DOCKER_HOST", "tcp://127.0.0.1:1");
        env.remove("AGENTKERNEL_BASE_URL");
        CliHarness cli = new CliHarness(new DefaultClientFactory(env), env);
        CliHarness.Result r = cli.run("ls");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(8);
        assertThat(r.err()).contains("agentkernel: the Docker engine is not reachable at tcp://127.0.0.1:1")
                .contains("DOCKER_HOST=tcp://127.0.0.1:1 does not answer")
                .contains("error: setup could not make the Docker engine ready");
        assertThat(r.out()).isEmpty();

        CliHarness.Result setup = cli.run("setup");
        assertThat(setup.exitCode()).isEqualTo(8);
        assertThat(setup.err()).contains("does not answer");
    }
}
