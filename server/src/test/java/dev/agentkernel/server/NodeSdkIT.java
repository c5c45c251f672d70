package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.NodeSdk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The published upstream Node SDK ({@link NodeSdk#PACKAGE}, installed from npm into {@code target/node-sdk} at test
 * time) against a real server in a child JVM on the real engine: one case per SDK call, each asserting on what the
 * SDK itself returns (or throws). Snippets see {@code client} (the SDK's {@code AgentKernel}) and {@code sdk}.
 */
class NodeSdkIT {
    static final String BUSYBOX = "agentkernel/busybox:local";
    static final String SUFFIX = Integer.toHexString(ThreadLocalRandom.current().nextInt());

    @TempDir
    static Path dir;
    static NodeSdk node;
    static ServerChild server;

    @BeforeAll
    static void start() {
        assumeThat(NodeSdk.toolsAvailable()).as("node and npm on this machine").isTrue();
        node = NodeSdk.install(Path.of("target", "node-sdk"));
        server = ServerChild.start(dir, "", Map.of());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            String owner = server.owner();
            server.close();
            assertThat(EngineView.containersOf(owner)).as("containers left behind").isEmpty();
        }
    }

    static String name(String base) {
        return base + "-" + SUFFIX;
    }

    /** What the snippet returned, failing with the SDK's error when it threw. */
    static JsonNode value(String snippet) {
        JsonNode r = call(snippet);
        assertThat(r.get("ok").asBoolean()).as("SDK call threw: %s", r).isTrue();
        return r.get("value");
    }

    /** The SDK's error class name and message ({@code error}, {@code message}); fails when the snippet succeeded. */
    static JsonNode error(String snippet) {
        JsonNode r = call(snippet);
        assertThat(r.get("ok").asBoolean()).as("SDK call succeeded: %s", r).isFalse();
        return r;
    }

    static JsonNode call(String snippet) {
        try {
            return Wire.MAPPER.readTree(node.call(server.url(), null, snippet));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String js(String s) {
        return NodeSdk.jsString(s);
    }

    /** Creates a busybox sandbox for one case; the snippet's {@code name} is bound to it, removed afterwards. */
    static JsonNode withSandbox(String base, String snippet) {
        String n = name(base);
        return value("const name = " + js(n) + ";\n"
                + "await client.createSandbox(name, { image: " + js(BUSYBOX) + " });\n"
                + "try {\n" + snippet + "\n} finally { await client.removeSandbox(name); }");
    }

    // ---- the seed's calls ----

    @Test
    void health() {
        assertThat(value("return await client.health();").asText()).isEqualTo("ok");
    }

    @Test
    void run() {
        JsonNode r = value("return await client.run(['sh', '-c', 'echo hi; exit 3'], { image: " + js(BUSYBOX) + " });");
        assertThat(r.get("output").asText()).isEqualTo("hi\n");
        assertThat(r.get("exit_code").asInt()).isEqualTo(3);
    }

    @Test
    void runStream() {
        JsonNode events = value("const events = [];\n"
                + "for await (const e of client.runStream(['echo', 'streamed'], { image: " + js(BUSYBOX) + " })) {"
                + " events.push(e); }\n"
                + "return events;");
        StringBuilder out = new StringBuilder();
        String last = null;
        for (JsonNode e : events) {
            if ("output".equals(e.get("type").asText())) {
                out.append(e.at("/data/content").asText());
            }
            last = e.get("type").asText();
        }
        assertThat(out.toString()).isEqualTo("streamed\n");
        assertThat(last).isEqualTo("done");
    }

    @Test
    void sandboxLifecycleAndFiles() {
        JsonNode r = withSandbox("node-life", """
                const info = await client.getSandbox(name);
                const listed = (await client.listSandboxes()).some(s => s.name === name);
                const exec = await client.execInSandbox(name, ['sh', '-c', 'echo $A; pwd'], { env: ['A=1'], workdir: '/tmp' });
                await client.writeFile(name, '/tmp/a.txt', 'hello');
                const read = await client.readFile(name, '/tmp/a.txt');
                await client.deleteFile(name, '/tmp/a.txt');
                const logs = await client.getSandboxLogs(name);
                return { info, listed, exec, read, logs: logs.length };
                """);
        assertThat(r.at("/info/name").asText()).isEqualTo(name("node-life"));
        assertThat(r.at("/info/status").asText()).isEqualTo("running");
        assertThat(r.get("listed").asBoolean()).isTrue();
        assertThat(r.at("/exec/output").asText()).isEqualTo("1\n/tmp\n");
        assertThat(r.at("/read/content").asText()).isEqualTo("hello");
        assertThat(r.get("logs").asInt()).isGreaterThan(0);
    }

    @Test
    void batchRun() {
        JsonNode r = value("return await client.batchRun([{ command: ['echo', 'a'], image: " + js(BUSYBOX)
                + " }, { command: ['echo', 'b'], image: " + js(BUSYBOX) + " }]);");
        assertThat(r.at("/results/0/output").asText()).isEqualTo("a\n");
        assertThat(r.at("/results/1/output").asText()).isEqualTo("b\n");
    }

    @Test
    void notFound() {
        JsonNode e = error("return await client.getSandbox('no-such-sandbox-" + SUFFIX + "');");
        assertThat(e.get("error").asText()).isEqualTo("NotFoundError");
        assertThat(e.get("message").asText()).contains("not found");
    }
}
