package dev.agentkernel.client;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.BrowserTestPage;
import dev.agentkernel.testkit.HeadlessChromium;
import dev.agentkernel.testkit.TestOwners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's walkthrough with a server, on the real Docker engine: {@code python3 -m http.server} in a sandbox
 * with no network (restrictive), its page opened in headless Chromium through the signed URL the SDK got. Every
 * byte goes through the sandbox's agent.
 */
class PortsBrowserDockerIT {
    private static final String KEY = "browser-docker-key";

    @TempDir
    Path dir;

    private final String owner = TestOwners.ofThisJvm();
    private AgentKernel kernel;
    private AgentKernelServer server;
    private AgentKernelClient client;

    @BeforeEach
    void start() {
        AgentKernelConfig config = AgentKernelConfig.forTests(dir.resolve("audit.jsonl"));
        kernel = AgentKernel.builder()
                .backend(Backends.open(new BackendSettings("docker", owner, Map.of("docker.pull", "false"))))
                .config(config).reconcileFilter(s -> owner.equals(s.owner())).build();
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, KEY).withHost("127.0.0.1").withPort(0));
        client = AgentKernelClient.builder().baseUrl("http://127.0.0.1:" + server.port()).apiKey(KEY).build();
    }

    @AfterEach
    void stop() {
        try {
            server.close();
            kernel.close();
            assertThat(EngineView.containersOf(owner)).as("containers left behind").isEmpty();
        } finally {
            EngineView.removeAllOf(owner);
        }
    }

    @Test
    void aPythonHttpServerInASandboxOpensInABrowser() throws Exception {
        String name = "web-" + Long.toHexString(System.nanoTime() & 0xffffff);
        client.create(SandboxSpec.named(name, "agentkernel/python:local").withProfile(SecurityProfile.RESTRICTIVE));
        try {
            Map<String, byte[]> site = new LinkedHashMap<>();
            BrowserTestPage.FILES.forEach((path, text) -> site.put("/tmp/site" + path, text.getBytes(StandardCharsets.UTF_8)));
            client.writeFiles(name, site);
            client.execDetached(name, ExecRequest.of("python3", "-m", "http.server", "8000", "--bind", "127.0.0.1",
                    "--directory", "/tmp/site"));
            client.exposePort(name, 8000);
            PortUrl url = client.portUrl(name, 8000, Duration.ofMinutes(10));

            HeadlessChromium chromium = HeadlessChromium.find();
            awaitListening(name);
            BrowserTestPage.assertShown(chromium, url.url());
        } finally {
            client.remove(name);
        }
    }

    /** python3 takes a moment to listen: ask through the proxy path (with the key) until it answers. */
    private void awaitListening(String name) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI page = java.net.URI.create("http://127.0.0.1:" + server.port() + "/sandboxes/" + name
                + "/ports/8000/data.txt");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int status = 0;
        while (System.nanoTime() < end) {
            status = http.send(java.net.http.HttpRequest.newBuilder(page).header("X-API-Key", KEY).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the sandbox's server never answered through the proxy path (last status " + status + ")");
    }
}
