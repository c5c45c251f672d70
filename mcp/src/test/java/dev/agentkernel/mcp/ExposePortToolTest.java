package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.Sandboxes;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.agentkernel.mcp.ToolSchemasTest.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sandbox_expose_port}: exposes, and returns the browser URL where the {@link Sandboxes} can sign one (a
 * server); embedded it says how the user forwards the port instead. The operations are a stand-in that records the
 * calls, so the tool's use of them is what is checked.
 */
class ExposePortToolTest {
    private static final Instant AT = Instant.parse("2026-12-03T10:00:00Z");
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private Sandboxes ops(boolean signs) {
        return (Sandboxes) Proxy.newProxyInstance(Sandboxes.class.getClassLoader(), new Class<?>[]{Sandboxes.class},
                (proxy, method, args) -> {
                    calls.add(method.getName() + (args == null ? List.of() : java.util.Arrays.asList(args)));
                    switch (method.getName()) {
                        case "exposePort":
                            if (!"web".equals(args[0])) {
                                throw new AgentKernelException.NotFoundException("Sandbox '" + args[0] + "' not found");
                            }
                            return new ExposedPort((Integer) args[1], AT);
                        case "portUrl":
                            if (!signs) {
                                throw new AgentKernelException.UnsupportedException("no server");
                            }
                            Duration ttl = args[2] == null ? Duration.ofHours(1) : (Duration) args[2];
                            return new PortUrl((Integer) args[1], URI.create("http://8000-web.localhost:18888/?agentkernel_token=t"),
                                    AT.plus(ttl));
                        default:
                            return null;
                    }
                });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> data(CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    @Test
    void onAServerItReturnsTheSignedUrl() {
        CallToolResult r = new SandboxTools(ops(true), 1024).call("sandbox_expose_port",
                Map.of("name", "web", "port", 8000, "url_ttl_seconds", 600), ProgressSink.NONE);
        assertThat(r.isError()).as(text(r)).isFalse();
        assertThat(data(r)).containsEntry("sandbox", "web").containsEntry("port", 8000)
                .containsEntry("exposed_at", "2026-12-03T10:00:00Z")
                .containsEntry("url", "http://8000-web.localhost:18888/?agentkernel_token=t")
                .containsEntry("expires_at", "2026-12-03T10:10:00Z");
        assertThat(text(r)).contains("Open http://8000-web.localhost:18888/");
        assertThat(calls).containsExactly("exposePort[web, 8000]", "portUrl[web, 8000, PT10M]");
    }

    @Test
    void embeddedItExposesAndSaysHowToForward() {
        CallToolResult r = new SandboxTools(ops(false), 1024).call("sandbox_expose_port",
                Map.of("name", "web", "port", 8000), ProgressSink.NONE);
        assertThat(r.isError()).isFalse();
        assertThat(data(r)).containsEntry("port", 8000).doesNotContainKey("url");
        assertThat(text(r)).contains("agentkernel port web 8000");
        assertThat(calls).containsExactly("exposePort[web, 8000]", "portUrl[web, 8000, null]");
    }

    @Test
    void failuresAreToolErrors() {
        CallToolResult missing = new SandboxTools(ops(true), 1024).call("sandbox_expose_port",
                Map.of("name", "nope", "port", 8000), ProgressSink.NONE);
        assertThat(missing.isError()).isTrue();
        assertThat(data(missing)).containsEntry("code", "not_found");

        SandboxTools checked = new SandboxTools(UnusedOperations.sandboxes(), 1024);
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("name", "web"),
                Map.of("name", "web", "port", 0), Map.of("name", "web", "port", 70000),
                Map.of("name", "web", "port", "8000x"), Map.of("name", "web", "port", 80, "url_ttl_seconds", 90000),
                Map.of("name", "../x", "port", 80))) {
            CallToolResult r = checked.call("sandbox_expose_port", bad, ProgressSink.NONE);
            assertThat(r.isError()).as(bad.toString()).isTrue();
            assertThat(data(r)).as(bad.toString()).containsEntry("code", "invalid_request");
        }
    }
}
