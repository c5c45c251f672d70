package dev.agentkernel.cli.it;

import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.cli.DefaultClientFactory;
import dev.agentkernel.cli.ExitStatus;
import dev.agentkernel.cli.LiveCli;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's walkthrough, embedded, against the real Docker engine: {@code python3 -m http.server} in a sandbox
 * with no network (restrictive), reached through {@code agentkernel port} (the sandbox's agent makes the connection
 * inside it): a page and a file several windows long arrive whole, and the forwarder stops on Ctrl-C.
 */
class CliPortsIT {
    @TempDir
    Path home;

    private CliHarness cli;
    private DefaultClientFactory factory;
    private Map<String, String> env;
    private String name;

    @BeforeEach
    void setUp() {
        env = new HashMap<>(System.getenv());
        env.put("HOME", home.toString());
        env.remove("AGENTKERNEL_BASE_URL");
        env.remove("AGENTKERNEL_CONFIG");
        factory = new DefaultClientFactory(env);
        cli = new CliHarness(factory, env);
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        name = "cli-port-" + HexFormat.of().formatHex(b);
    }

    @AfterEach
    void cleanUp() {
        try {
            cli.run("rm", "-f", name);
            assertThat(EngineView.containersOf(InstanceId.current())).as("containers left behind").isEmpty();
        } finally {
            EngineView.removeAllOf(InstanceId.current());
        }
    }

    @Test
    void aWebServerInASandboxWithoutNetworkIsReachedThroughTheForwarder() throws Exception {
        ok(cli.run("create", name, "--image", "agentkernel/python:local", "--profile", "restrictive"));
        ok(cli.run("exec", name, "--", "sh", "-c", "mkdir -p /tmp/site && cd /tmp/site && "
                + "echo '<h1>hello from the sandbox</h1>' > index.html && head -c 3145728 /dev/urandom > big.bin && "
                + "sha256sum big.bin > big.sha"));
        ok(cli.run("exec", name, "--detach", "-w", "/tmp/site", "--", "python3", "-m", "http.server", "8000",
                "--bind", "127.0.0.1"));

        LiveCli live = LiveCli.start(factory, env, "port", name, "8000");
        String url = live.awaitOut(Pattern.compile("Forwarding (http://127\\.0\\.0\\.1:\\d+) -> " + name + ":8000"),
                Duration.ofSeconds(60)).group(1);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String page = retry(() -> http.send(HttpRequest.newBuilder(URI.create(url + "/")).timeout(Duration.ofSeconds(20))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(page).contains("<h1>hello from the sandbox</h1>");

        HttpResponse<InputStream> big = http.send(HttpRequest.newBuilder(URI.create(url + "/big.bin"))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] bytes;
        try (InputStream in = big.body()) {
            bytes = in.readAllBytes();
        }
        assertThat(bytes).hasSize(3 << 20);
        String expected = cli.run("cat", name, "/tmp/site/big.sha").out().split(" ")[0];
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).isEqualTo(expected);

        live.interrupt();
        assertThat(live.exitCode(Duration.ofSeconds(20))).isEqualTo(ExitStatus.INTERRUPTED);
        assertThat(cli.run("logs", name).out()).contains("port_exposed").contains("port_connection_closed");
    }

    private static void ok(CliHarness.Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
    }

    /** The server in the sandbox may not listen yet: a refused connection is tried again for a while. */
    private static String retry(Call call) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(300);
            }
        }
    }

    private interface Call {
        String get() throws Exception;
    }
}
