package dev.agentkernel.cli.it;

import dev.agentkernel.testkit.EngineView;
import dev.agentkernel.testkit.HeadlessChromium;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.cli.AgentKernelCli;
import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.cli.DefaultClientFactory;
import dev.agentkernel.cli.Json;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same commands with {@code --url} against a real server (started here on a free loopback port, with the
 * real Docker backend), and {@code serve} itself. Every container carries this JVM's owner label; none is left.
 */
class CliRemoteIT {
    private static final String KEY = "cli-it-secret";

    @TempDir
    static Path home;

    private static AgentKernel kernel;
    private static AgentKernelServer server;
    private static String url;
    private static CliHarness cli;
    private static CliHarness cliWithoutKey;
    private static String prefix;
    private static Map<String, String> env;

    @BeforeAll
    static void startServer() {
        assertThat(EngineView.containersOf(InstanceId.current())).isEmpty();
        AgentKernelConfig config = ConfigLoader.defaults(home).withPool(new AgentKernelConfig.Pool(0, 0));
        kernel = AgentKernel.builder().backend(Backends.open(new BackendSettings(null, InstanceId.current(), Map.of())))
                .config(config).build();
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, KEY).withHost("127.0.0.1").withPort(0));
        url = "http://127.0.0.1:" + server.port();
        env = new HashMap<>(System.getenv());
        env.put("HOME", home.toString());
        env.remove("AGENTKERNEL_BASE_URL");
        Map<String, String> withKey = new HashMap<>(env);
        withKey.put("AGENTKERNEL_API_KEY", KEY);
        Map<String, String> withoutKey = new HashMap<>(env);
        withoutKey.remove("AGENTKERNEL_API_KEY");
        cli = new CliHarness(new DefaultClientFactory(withKey), withKey);
        cliWithoutKey = new CliHarness(new DefaultClientFactory(withoutKey), withoutKey);
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        prefix = "cli-rit-" + HexFormat.of().formatHex(b);
    }

    @AfterAll
    static void stopServer() {
        try {
            if (server != null) {
                server.close();
            }
            if (kernel != null) {
                kernel.close();
            }
            assertThat(EngineView.containersOf(InstanceId.current())).as("containers left by the remote tests").isEmpty();
        } finally {
            EngineView.removeAllOf(InstanceId.current());
        }
    }

    private static CliHarness.Result remote(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = url;
        System.arraycopy(args, 0, all, 2, args.length);
        return cli.run(all);
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void runStreamsOutputAndPassesTheExitStatus() throws Exception {
        CliHarness.Result two = remote("run", "--", "python3", "-c", "print(1+1)");
        assertThat(two.exitCode()).as(two.toString()).isZero();
        assertThat(two.out()).isEqualTo("2\n");

        CliHarness.Result seven = remote("run", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        assertThat(seven.exitCode()).as(seven.toString()).isEqualTo(7);
        assertThat(seven.out()).isEqualTo("out\n");
        assertThat(seven.err()).isEqualTo("err\n");

        CliHarness.Result options = remote("run", "--", "echo", "--timeout", "1s", "--url", "x");
        assertThat(options.out()).as("everything after -- belongs to the command").isEqualTo("--timeout 1s --url x\n");
        CliHarness.Result timeout = remote("run", "--timeout", "1s", "--", "sleep", "30");
        assertThat(timeout.exitCode()).as(timeout.toString()).isEqualTo(124);

        JsonNode j = json(remote("run", "--json", "--no-network", "--", "sh", "-c", "ls /sys/class/net").out());
        assertThat(j.get("stdout").asText()).isEqualTo("lo\n");
    }

    @Test
    void errorsKeepTheirExitCodes() {
        CliHarness.Result missing = remote("exec", prefix + "-nosuch", "--", "true");
        assertThat(missing.exitCode()).isEqualTo(3);
        assertThat(missing.err()).isEqualTo("error: Sandbox '" + prefix + "-nosuch' not found\n");

        CliHarness.Result noKey = cliWithoutKey.run("--url", url, "ls");
        assertThat(noKey.exitCode()).isEqualTo(5);
        assertThat(noKey.err()).startsWith("error: ").doesNotContain(KEY);
        assertThat(noKey.err().lines().count()).isEqualTo(1);

        CliHarness.Result nobody = cli.run("--url", "http://127.0.0.1:1", "ls");
        assertThat(nobody.exitCode()).isEqualTo(8);
        assertThat(nobody.err()).startsWith("error: cannot reach the agentkernel server at http://127.0.0.1:1");
        assertThat(nobody.err().lines().count()).isEqualTo(1);

        CliHarness.Result badName = remote("create", "-bad");
        assertThat(badName.exitCode()).isEqualTo(2);
    }

    @Test
    void snapshotVolumeAndSecretCommandsWithJson(@TempDir Path local) throws Exception {
        String name = prefix + "-snap";
        String volume = prefix + "-vol";
        String snap = prefix + "-s1";
        Path secretFile = Files.writeString(local.resolve("token"), "cli-secret-value\n");
        try {
            assertThat(remote("volume", "create", volume).out()).isEqualTo(volume + "\n");
            assertThat(json(remote("volume", "ls", "--json").out()).findValuesAsText("name")).contains(volume);
            assertThat(remote("volume", "ls").out()).startsWith("NAME").containsPattern("(?m)^" + volume + " +\\d{4}-");
            assertThat(remote("volume", "create", volume).exitCode()).as("taken").isEqualTo(4);
            assertThat(remote("secret", "set", "CLI_TOKEN", "--from-file", secretFile.toString()).out())
                    .isEqualTo("CLI_TOKEN\n");
            assertThat(remote("secret", "ls", "--json").out()).contains("CLI_TOKEN").doesNotContain("cli-secret-value");
            CliHarness.Result created = remote("create", name, "--image", "agentkernel/busybox:local",
                    "--volume", volume + ":/data", "--secret-file", "CLI_TOKEN");
            assertThat(created.exitCode()).as(created.toString()).isZero();
            assertThat(remote("exec", name, "--", "cat", "/run/agentkernel/secrets/CLI_TOKEN").out())
                    .isEqualTo("cli-secret-value");
            assertThat(remote("exec", name, "--", "sh", "-c", "echo layer > /root/x").exitCode()).isZero();

            JsonNode taken = json(remote("snapshot", "take", name, "--name", snap, "--json").out());
            assertThat(taken.get("image_tag").asText()).isEqualTo("agentkernel-snap:" + snap);
            assertThat(json(remote("snapshot", "ls", "--json").out()).findValuesAsText("name")).contains(snap);
            assertThat(remote("snapshot", "ls").out()).startsWith("NAME")
                    .containsPattern("(?m)^" + snap + " +" + name + " +\\d{4}-\\S+ +agentkernel-snap:" + snap + "$");
            JsonNode restored = json(remote("snapshot", "restore", snap, "--as", name + "-r", "--json").out());
            assertThat(restored.get("status").asText()).isEqualTo("running");
            assertThat(remote("exec", name + "-r", "--", "cat", "/root/x").out()).isEqualTo("layer\n");
            assertThat(remote("snapshot", "rm", snap).exitCode()).as("in use").isEqualTo(4);
            assertThat(remote("volume", "rm", volume).exitCode()).as("attached").isEqualTo(4);
            assertThat(remote("create", name + "-bad", "--volume", "nope:rel").exitCode()).isEqualTo(2);
            assertThat(remote("snapshot", "take", name, "--name", "bad name").exitCode()).isEqualTo(2);
        } finally {
            remote("rm", "--force", name, name + "-r");
        }
        assertThat(json(remote("snapshot", "rm", snap, "--json").out()).get("deleted").toString()).contains(snap);
        assertThat(remote("volume", "rm", volume).exitCode()).isZero();
        assertThat(remote("secret", "rm", "CLI_TOKEN").exitCode()).isZero();
        assertThat(remote("secret", "rm", "CLI_TOKEN").exitCode()).isEqualTo(3);
        assertThat(EngineView.imagesOf(InstanceId.current())).isEmpty();
        assertThat(EngineView.volumesOf(InstanceId.current())).isEmpty();
    }

    /** The README's walkthrough with a server: {@code create --port}, then the URL {@code port} prints, in a browser. */
    @Test
    void portPrintsASignedUrlThatOpensTheSandboxsPageInABrowser() throws Exception {
        String name = prefix + "-web";
        try {
            assertThat(remote("create", name, "--image", "agentkernel/python:local", "--port", "8000").exitCode())
                    .isZero();
            assertThat(remote("exec", name, "--", "sh", "-c", "mkdir -p /tmp/site && "
                    + "echo '<h1>hello from the sandbox</h1>' > /tmp/site/index.html").exitCode()).isZero();
            assertThat(remote("exec", name, "--detach", "-w", "/tmp/site", "--", "python3", "-m", "http.server",
                    "8000", "--bind", "127.0.0.1").exitCode()).isZero();
            JsonNode listed = json(remote("port", name, "--list", "--json").out());
            assertThat(listed).extracting(p -> p.get("port").asInt()).containsExactly(8000);

            CliHarness.Result printed = remote("port", name, "8000", "--ttl", "10m");
            assertThat(printed.exitCode()).as(printed.toString()).isZero();
            java.net.URI page = java.net.URI.create(printed.out().strip());
            assertThat(page.getHost()).isEqualTo("8000-" + name + ".localhost");
            assertThat(page.getPort()).isEqualTo(server.port());

            HeadlessChromium chromium = HeadlessChromium.find();
            String dom = "";
            for (int i = 0; i < 20 && !dom.contains("hello from the sandbox"); i++) { // until python3 listens
                dom = chromium.dumpDom(page);
                if (!dom.contains("hello from the sandbox")) {
                    Thread.sleep(500);
                }
            }
            assertThat(dom).contains("<h1>hello from the sandbox</h1>");

            assertThat(remote("port", name, "8000", "--close").exitCode()).isZero();
            assertThat(chromium.dumpDom(page)).as("closed: its URL is refused").doesNotContain("hello from the sandbox");
            assertThat(remote("logs", name).out()).contains("port_exposed").contains("port_url_issued")
                    .contains("port_unexposed");
        } finally {
            remote("rm", "-f", name);
        }
    }

    @Test
    void namedSandboxLifecycleWithFilesAndLogs(@TempDir Path local) throws Exception {
        String name = prefix + "-dev";
        try {
            assertThat(remote("create", name, "--image", "agentkernel/python:local", "--memory", "256").out())
                    .isEqualTo(name + "\n");
            assertThat(remote("create", name).exitCode()).isEqualTo(4);
            assertThat(remote("ls").out()).containsPattern("(?m)^" + name + " +running +agentkernel/python:local");
            JsonNode info = json(remote("info", name, "--json").out());
            assertThat(info.get("memory_mb").asInt()).isEqualTo(256);
            assertThat(info.get("backend").asText()).isEqualTo("docker");

            CliHarness.Result exec = remote("exec", name, "-e", "X=42", "-w", "/tmp", "--", "sh", "-c", "echo $X; pwd");
            assertThat(exec.exitCode()).as(exec.toString()).isZero();
            assertThat(exec.out()).isEqualTo("42\n/tmp\n");

            Files.createDirectories(local.resolve("proj/pkg"));
            Files.writeString(local.resolve("proj/pkg/mod.py"), "X = 1\n");
            Files.writeString(local.resolve("proj/main.py"), "print(6*7)\n");
            byte[] binary = {0, (byte) 0xff, 2};
            Files.write(local.resolve("blob.bin"), binary);
            assertThat(remote("cp", local.resolve("proj").toString(), name + ":/tmp/").exitCode()).isZero();
            assertThat(remote("cp", local.resolve("blob.bin").toString(), name + ":/tmp/b.bin").exitCode()).isZero();
            assertThat(remote("exec", name, "--", "python3", "/tmp/proj/main.py").out()).isEqualTo("42\n");
            assertThat(remote("cat", name, "/tmp/proj/pkg/mod.py").out()).isEqualTo("X = 1\n");
            CliHarness.Result down = remote("cp", name + ":/tmp/proj", local.resolve("back").toString());
            assertThat(down.exitCode()).as(down.toString()).isZero();
            assertThat(local.resolve("back/pkg/mod.py")).hasContent("X = 1");
            assertThat(remote("cp", name + ":/tmp/b.bin", local.resolve("b.bin").toString()).exitCode()).isZero();
            assertThat(local.resolve("b.bin")).hasBinaryContent(binary);

            assertThat(remote("stop", name).out()).isEqualTo(name + "\n");
            assertThat(remote("exec", name, "--", "true").exitCode()).isEqualTo(4);
            assertThat(remote("start", name).exitCode()).isZero();
            assertThat(remote("cat", name, "/tmp/proj/main.py").out()).isEqualTo("print(6*7)\n");
            assertThat(remote("rm", name).exitCode()).isEqualTo(4);
            assertThat(remote("rm", "-f", name).out()).isEqualTo(name + "\n");
            assertThat(remote("info", name).exitCode()).isEqualTo(3);

            CliHarness.Result logs = remote("logs", name, "--json");
            assertThat(logs.exitCode()).as(logs.toString()).isZero();
            assertThat(logs.out()).contains("sandbox_created").contains("file_written").contains("sandbox_removed");
        } finally {
            remote("rm", "-f", name);
        }
    }

    @Test
    void batchPoolDoctor(@TempDir Path dir) throws Exception {
        Path jobs = Files.writeString(dir.resolve("jobs.json"),
                "{\"commands\":[{\"command\":[\"echo\",\"hello\"]},{\"command\":[\"python3\",\"-c\",\"print(2+2)\"]}]}");
        CliHarness.Result batch = remote("batch", jobs.toString());
        assertThat(batch.exitCode()).as(batch.toString()).isZero();
        assertThat(batch.out()).containsSubsequence("== 1: echo hello", "hello\n", "== 2: python3 -c \'print(2+2)\'", "4\n");

        CliHarness.Result pool = remote("pool", "--json");
        assertThat(pool.exitCode()).isZero();
        assertThat(json(pool.out()).has("hits")).isTrue();

        CliHarness.Result doctor = remote("doctor");
        assertThat(doctor.exitCode()).as(doctor.toString()).isZero();
        assertThat(doctor.out()).contains("server").contains(url).contains("everything looks fine");
        CliHarness.Result down = cli.run("--url", "http://127.0.0.1:1", "doctor");
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.out()).contains("BAD").contains("fix: start one with 'agentkernel serve'");
    }

    @Test
    void serveRunsTheApiUntilStopped() throws Exception {
        Map<String, String> serveEnv = new HashMap<>(env);
        serveEnv.remove("AGENTKERNEL_API_KEY");
        serveEnv.put("AGENTKERNEL_POOL_SIZE", "1");
        CommandLine serve = AgentKernelCli.create(new DefaultClientFactory(serveEnv), serveEnv);
        StringWriter out = new StringWriter();
        serve.setOut(new PrintWriter(out, true));
        serve.setErr(new PrintWriter(new StringWriter(), true));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(serve.execute("serve", "--host", "127.0.0.1", "--port", "0")), "serve-under-test");
        t.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher("");
            while (!m.reset(out.toString()).find() && System.nanoTime() < deadline && t.isAlive()) {
                Thread.sleep(100);
            }
            assertThat(m.find(0)).as("serve printed its address: " + out).isTrue();
            String served = m.group(1);
            CliHarness open = new CliHarness(new DefaultClientFactory(serveEnv), serveEnv);
            CliHarness.Result r = open.run("--url", served, "run", "--", "python3", "-c", "print(1+1)");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.out()).isEqualTo("2\n");
            assertThat(open.run("--url", served, "serve").exitCode()).as("serve with --url is refused").isEqualTo(2);
        } finally {
            t.interrupt();
            t.join(Duration.ofSeconds(60).toMillis());
        }
        assertThat(t.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
    }
}
