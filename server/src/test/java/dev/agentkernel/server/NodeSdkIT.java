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

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands, sudo ----

    @Test
    void getSandboxByUuid() {
        JsonNode r = withSandbox("node-uuid", """
                const info = await client.getSandbox(name);
                const byUuid = await client.getSandboxByUuid(info.uuid);
                let bad, missing;
                try { await client.getSandboxByUuid('not-a-uuid'); } catch (e) { bad = e.constructor.name; }
                try { await client.getSandboxByUuid('01890000-0000-7000-8000-000000000000'); }
                catch (e) { missing = e.constructor.name; }
                return { info, byUuid, bad, missing };
                """);
        assertThat(r.at("/info/uuid").asText()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(r.at("/byUuid/name").asText()).isEqualTo(name("node-uuid"));
        assertThat(r.at("/byUuid/uuid").asText()).isEqualTo(r.at("/info/uuid").asText());
        assertThat(r.get("bad").asText()).isEqualTo("ValidationError");
        assertThat(r.get("missing").asText()).isEqualTo("NotFoundError");
    }

    @Test
    void writeFiles() {
        JsonNode r = withSandbox("node-files", """
                const written = await client.writeFiles(name, { '/tmp/w/a.txt': 'alpha', '/tmp/w/deep/b.txt': 'beta' });
                const a = await client.readFile(name, '/tmp/w/a.txt');
                const b = await client.readFile(name, '/tmp/w/deep/b.txt');
                let refused;
                try { await client.writeFiles(name, { '/tmp/w/c.txt': 'c', '/tmp/../etc/x': 'x' }); }
                catch (e) { refused = e.constructor.name + ': ' + e.message; }
                const c = await client.execInSandbox(name, ['sh', '-c', 'ls /tmp/w/c.txt 2>&1 || true']);
                return { written, a: a.content, b: b.content, refused, c: c.output };
                """);
        assertThat(r.at("/written/written").asInt()).isEqualTo(2);
        assertThat(r.get("a").asText()).isEqualTo("alpha");
        assertThat(r.get("b").asText()).isEqualTo("beta");
        assertThat(r.get("refused").asText()).startsWith("ValidationError").contains("files");
        assertThat(r.get("c").asText()).as("nothing written when one path is bad").contains("No such file");
    }

    @Test
    void detachedCommands() {
        JsonNode r = withSandbox("node-detached", """
                const started = await client.execDetached(name, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
                let status = started;
                for (let i = 0; i < 100 && status.status === 'running'; i++) {
                  await new Promise(res => setTimeout(res, 100));
                  status = await client.detachedStatus(name, started.id);
                }
                const stdout = await client.detachedLogs(name, started.id);
                const stderr = await client.detachedLogs(name, started.id, 'stderr');
                const sleeper = await client.execDetached(name, ['sleep', '300']);
                const list = await client.detachedList(name);
                const killed = await client.detachedKill(name, sleeper.id);
                const afterKill = await client.detachedStatus(name, sleeper.id);
                let unknown;
                try { await client.detachedStatus(name, 'ffffffff'); } catch (e) { unknown = e.constructor.name; }
                return { started, status, stdout, stderr, list: list.map(c => c.id), sleeper: sleeper.id, killed,
                         afterKill, unknown };
                """);
        assertThat(r.at("/started/status").asText()).isEqualTo("running");
        assertThat(r.at("/started/pid").asInt()).isPositive();
        assertThat(r.at("/started/command/2").asText()).isEqualTo("echo out; echo err >&2; exit 3");
        assertThat(r.at("/status/status").asText()).isEqualTo("failed");
        assertThat(r.at("/status/exit_code").asInt()).isEqualTo(3);
        assertThat(fieldNamesOf(r.get("stdout"))).containsExactly("stdout");
        assertThat(r.at("/stdout/stdout").asText()).isEqualTo("out\n");
        assertThat(fieldNamesOf(r.get("stderr"))).containsExactly("stderr");
        assertThat(r.at("/stderr/stderr").asText()).isEqualTo("err\n");
        assertThat(r.get("list")).extracting(JsonNode::asText)
                .containsExactly(r.at("/started/id").asText(), r.get("sleeper").asText());
        assertThat(r.get("killed").asText()).isEqualTo("Command killed");
        assertThat(r.at("/afterKill/status").asText()).isEqualTo("failed");
        assertThat(r.at("/afterKill/exit_code").asInt()).isEqualTo(137);
        assertThat(r.get("unknown").asText()).isEqualTo("NotFoundError");
    }

    @Test
    void extendTtl() {
        JsonNode r = withSandbox("node-ttl", """
                const first = await client.extendTtl(name, { by: '30m' });
                const second = await client.extendTtl(name, { by: '1h30m' });
                const info = await client.getSandbox(name);
                let bad;
                try { await client.extendTtl(name, { by: 'soon' }); } catch (e) { bad = e.constructor.name + ': ' + e.message; }
                return { first, second, info, bad };
                """);
        java.time.Instant first = java.time.Instant.parse(r.at("/first/expires_at").asText());
        java.time.Instant second = java.time.Instant.parse(r.at("/second/expires_at").asText());
        assertThat(first).isBetween(java.time.Instant.now().plusSeconds(29 * 60), java.time.Instant.now().plusSeconds(31 * 60));
        assertThat(java.time.Duration.between(first, second)).isEqualTo(java.time.Duration.ofMinutes(90));
        assertThat(r.at("/info/expires_at").asText()).isEqualTo(r.at("/second/expires_at").asText());
        assertThat(r.get("bad").asText()).startsWith("ValidationError").contains("by");
    }

    @Test
    void sudo() {
        JsonNode r = withSandbox("node-sudo", """
                const root = await client.execInSandbox(name, ['id', '-u'], { sudo: true });
                return { root: root.output };
                """);
        assertThat(r.get("root").asText()).isEqualTo("0\n");
        JsonNode e = value("const name = " + js(name("node-sudo-r")) + ";\n"
                + "await client.createSandbox(name, { image: " + js(BUSYBOX) + ", profile: 'restrictive' });\n"
                + "try { await client.execInSandbox(name, ['id', '-u'], { sudo: true }); return 'ran'; }\n"
                + "catch (e) { return e.constructor.name + ': ' + e.message; }\n"
                + "finally { await client.removeSandbox(name); }");
        assertThat(e.asText()).startsWith("ServerError").contains("restrictive");
    }

    static java.util.List<String> fieldNamesOf(JsonNode n) {
        java.util.List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ---- snapshots and the create options (issue 15, part B) ----

    @Test
    void takeGetListRestoreDeleteSnapshot() {
        String snap = name("nsnap");
        JsonNode r = withSandbox("snapsrc", "await client.execInSandbox(name, ['sh', '-c', 'echo kept > /root/k.txt']);\n"
                + "const taken = await client.takeSnapshot({ sandbox: name, name: " + js(snap) + " });\n"
                + "const got = await client.getSnapshot(" + js(snap) + ");\n"
                + "const listed = (await client.listSnapshots()).map(s => s.name);\n"
                + "const restored = await client.restoreSnapshot(" + js(snap) + ");\n"
                + "let inside;\n"
                + "try { inside = await client.execInSandbox(restored.name, ['cat', '/root/k.txt']); }\n"
                + "finally { await client.removeSandbox(restored.name); }\n"
                + "await client.deleteSnapshot(" + js(snap) + ");\n"
                + "let gone;\n"
                + "try { await client.getSnapshot(" + js(snap) + "); } catch (e) { gone = e.constructor.name; }\n"
                + "return { taken, got, listed, restored, inside, gone };");
        JsonNode taken = r.get("taken");
        assertThat(taken.get("name").asText()).isEqualTo(snap);
        assertThat(taken.get("sandbox").asText()).isEqualTo(name("snapsrc"));
        assertThat(taken.get("image_tag").asText()).isEqualTo("agentkernel-snap:" + snap);
        assertThat(taken.get("base_image").asText()).isEqualTo(BUSYBOX);
        assertThat(r.get("got")).isEqualTo(taken);
        assertThat(r.get("listed").toString()).contains(snap);
        assertThat(r.get("restored").get("name").asText()).isEqualTo(name("snapsrc") + "-restored");
        assertThat(r.get("restored").get("status").asText()).isEqualTo("running");
        assertThat(r.get("inside").get("output").asText()).isEqualTo("kept\n");
        assertThat(r.get("gone").asText()).isEqualTo("NotFoundError");
    }

    @Test
    void takeSnapshotWithoutANameGeneratesOne() {
        JsonNode r = withSandbox("snapgen", "const s = await client.takeSnapshot({ sandbox: name });\n"
                + "await client.deleteSnapshot(s.name);\n"
                + "return s;");
        assertThat(r.get("name").asText()).startsWith("snap-");
        assertThat(r.get("created_at").asText()).endsWith("Z");
    }

    @Test
    void createOptionsTheSdkSendsAreCheckedByField() {
        JsonNode badVolume = error("return await client.createSandbox(" + js(name("optv")) + ", { image: " + js(BUSYBOX)
                + ", volumes: ['nosuch:relative'] });");
        assertThat(badVolume.get("error").asText()).isEqualTo("ValidationError");
        assertThat(badVolume.get("message").asText()).contains("volumes");
        JsonNode badUrl = error("return await client.createSandbox(" + js(name("optu")) + ", { image: " + js(BUSYBOX)
                + ", source_url: 'file:///etc' });");
        assertThat(badUrl.get("error").asText()).isEqualTo("ValidationError");
        assertThat(badUrl.get("message").asText()).contains("source_url");
        JsonNode secrets = error("return await client.createSandbox(" + js(name("opts")) + ", { image: " + js(BUSYBOX)
                + ", secrets: ['API_KEY:api.example.com'] });");
        assertThat(secrets.get("message").asText()).contains("secrets");
        // Omitted options arrive as absent (the SDK's undefined), and the create works as the seed's.
        JsonNode ok = value("const s = await client.createSandbox(" + js(name("optok")) + ", { image: " + js(BUSYBOX)
                + ", volumes: [], secret_files: [] });\nawait client.removeSandbox(s.name);\nreturn s;");
        assertThat(ok.get("status").asText()).isEqualTo("running");
        assertThat(EngineView.containersNamed(name("optv"))).isEmpty();
    }
}
