package dev.agentkernel.cli.it;

import dev.agentkernel.core.InstanceId;
import dev.agentkernel.testkit.EngineView;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.cli.DefaultClientFactory;
import dev.agentkernel.cli.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command, embedded, against the real Docker engine, through picocli with captured output. Sandboxes carry
 * this JVM's owner label; each test checks that none of its containers is left, and cleanup removes only those.
 */
class CliEmbeddedIT {
    @TempDir
    static Path home;

    private static CliHarness cli;
    private static String prefix;

    @BeforeAll
    static void setUp() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("HOME", home.toString()); // audit log and config under a temporary home
        env.remove("AGENTKERNEL_BASE_URL");
        env.remove("AGENTKERNEL_CONFIG");
        cli = new CliHarness(new DefaultClientFactory(env), env);
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        prefix = "cli-it-" + HexFormat.of().formatHex(b);
        assertThat(EngineView.containersOf(InstanceId.current())).isEmpty();
    }

    @AfterEach
    void noContainerLeft() {
        try {
            assertThat(EngineView.containersOf(InstanceId.current())).as("containers of this test left behind").isEmpty();
        } finally {
            EngineView.removeAllOf(InstanceId.current());
        }
    }

    @AfterAll
    static void cleanUp() {
        EngineView.removeAllOf(InstanceId.current());
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void runPrintsTheCommandsOutputAndExitsWithItsStatus() {
        CliHarness.Result two = cli.run("run", "--", "python3", "-c", "print(1+1)");
        assertThat(two.exitCode()).as(two.toString()).isZero();
        assertThat(two.out()).isEqualTo("2\n");

        CliHarness.Result seven = cli.run("run", "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        assertThat(seven.exitCode()).as(seven.toString()).isEqualTo(7);
        assertThat(seven.out()).isEqualTo("out\n");
        assertThat(seven.err()).isEqualTo("err\n");
    }

    @Test
    void runWithTimeoutKillsTheCommandAndExits124() {
        CliHarness.Result r = cli.run("run", "--timeout", "1s", "--", "sh", "-c", "echo started; sleep 30");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(124);
        assertThat(r.out()).isEqualTo("started\n");
        assertThat(r.err()).contains("error: the command timed out");
    }

    @Test
    void noNetworkMeansNoInterfaceButLoopbackAndAReadOnlyRoot() {
        CliHarness.Result r = cli.run("run", "--no-network", "--", "sh", "-c",
                "ls /sys/class/net; touch /rootfile 2>/dev/null && echo writable || echo read-only; id -u");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("lo\nread-only\n65534\n");
        CliHarness.Result normal = cli.run("run", "--", "sh", "-c", "ls /sys/class/net");
        assertThat(normal.out()).contains("eth0");
    }

    @Test
    void runJsonAndEnv() throws Exception {
        CliHarness.Result r = cli.run("run", "--json", "-e", "WHO=world", "--", "sh", "-c", "echo hello $WHO");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = json(r.out());
        assertThat(j.get("stdout").asText()).isEqualTo("hello world\n");
        assertThat(j.get("exit_code").asInt()).isZero();
        assertThat(j.get("image").asText()).isEqualTo("agentkernel/busybox:local");
    }

    @Test
    void detachedCommandsFromStartToKill() throws Exception {
        String name = prefix + "-det";
        assertThat(cli.run("create", name).exitCode()).isZero();
        try {
            CliHarness.Result started = cli.run("exec", name, "--detach", "--", "sh", "-c", "echo hi; exit 3");
            assertThat(started.exitCode()).as(started.toString()).isZero();
            String id = started.out().trim();
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
            String status = "";
            while (!status.startsWith("failed") && System.nanoTime() < deadline) {
                status = cli.run("detached", "status", name, id).out().trim();
                Thread.sleep(100);
            }
            assertThat(status).isEqualTo("failed 3");
            assertThat(cli.run("detached", "logs", name, id).out()).isEqualTo("hi\n");
            String sleeper = cli.run("exec", name, "-d", "--", "sleep", "300").out().trim();
            JsonNode list = json(cli.run("detached", "ls", name, "--json").out());
            assertThat(list).hasSize(2);
            assertThat(cli.run("detached", "ls", name).out()).startsWith("ID")
                    .containsPattern("(?m)^" + id + " +failed +3 +\\d+ +sh -c")
                    .containsPattern("(?m)^" + sleeper + " +running +- +\\d+ +sleep 300$");
            JsonNode killed = json(cli.run("detached", "kill", name, sleeper, "--json").out());
            assertThat(killed.get("exit_code").asInt()).isEqualTo(137);
            assertThat(cli.run("detached", "logs", name, "nosuch").exitCode()).isEqualTo(3);
        } finally {
            cli.run("rm", "--force", name);
        }
    }

    @Test
    void execInAMissingSandboxIsOneLineAndTheNotFoundStatus() {
        CliHarness.Result r = cli.run("exec", prefix + "-nosuch", "--", "true");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("error: Sandbox '" + prefix + "-nosuch' not found\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void namedSandboxLifecycleWithFilesAndLogs(@TempDir Path local) throws Exception {
        String name = prefix + "-dev";
        try {
            CliHarness.Result created = cli.run("create", name, "--image", "agentkernel/python:local", "--memory", "256");
            assertThat(created.exitCode()).as(created.toString()).isZero();
            assertThat(created.out()).isEqualTo(name + "\n");
            assertThat(cli.run("create", name).exitCode()).isEqualTo(4);

            CliHarness.Result ls = cli.run("ls");
            assertThat(ls.out()).containsPattern("(?m)^" + name + " +running +agentkernel/python:local +moderate +1 +256 +named");
            JsonNode info = json(cli.run("info", name, "--json").out());
            assertThat(info.get("status").asText()).isEqualTo("running");
            assertThat(info.get("memory_mb").asInt()).isEqualTo(256);

            CliHarness.Result exec = cli.run("exec", name, "-e", "X=42", "-w", "/tmp", "--", "sh", "-c", "echo $X; pwd");
            assertThat(exec.exitCode()).as(exec.toString()).isZero();
            assertThat(exec.out()).isEqualTo("42\n/tmp\n");
            assertThat(cli.run("exec", name, "--", "sh", "-c", "exit 9").exitCode()).isEqualTo(9);

            // cp: a file and a directory in, then back out
            Path src = Files.createDirectories(local.resolve("proj/pkg"));
            Files.writeString(src.resolve("mod.py"), "print('from module')\n");
            Files.writeString(local.resolve("proj/main.py"), "print(6*7)\n");
            byte[] binary = {0, (byte) 0xff, 1, (byte) 0xfe};
            Files.write(local.resolve("blob.bin"), binary);
            assertThat(cli.run("cp", local.resolve("proj").toString(), name + ":/tmp/").exitCode()).isZero();
            assertThat(cli.run("cp", local.resolve("blob.bin").toString(), name + ":/tmp/blob.bin").exitCode()).isZero();
            assertThat(cli.run("exec", name, "--", "python3", "/tmp/proj/main.py").out()).isEqualTo("42\n");
            assertThat(cli.run("cat", name, "/tmp/proj/pkg/mod.py").out()).isEqualTo("print('from module')\n");

            Path back = local.resolve("back");
            CliHarness.Result down = cli.run("cp", name + ":/tmp/proj", back.toString());
            assertThat(down.exitCode()).as(down.toString()).isZero();
            assertThat(back.resolve("main.py")).hasContent("print(6*7)");
            assertThat(back.resolve("pkg/mod.py")).hasContent("print('from module')");
            Files.createDirectories(local.resolve("into"));
            assertThat(cli.run("cp", name + ":/tmp/blob.bin", local.resolve("into").toString()).exitCode()).isZero();
            assertThat(local.resolve("into/blob.bin")).hasBinaryContent(binary);
            CliHarness.Result missing = cli.run("cp", name + ":/tmp/none", local.resolve("x").toString());
            assertThat(missing.exitCode()).isEqualTo(3);

            // stop keeps the files; start brings them back
            assertThat(cli.run("stop", name).out()).isEqualTo(name + "\n");
            assertThat(json(cli.run("info", name, "--json").out()).get("status").asText()).isEqualTo("stopped");
            assertThat(cli.run("exec", name, "--", "true").exitCode()).isEqualTo(4);
            assertThat(cli.run("start", name).exitCode()).isZero();
            assertThat(cli.run("cat", name, "/tmp/proj/main.py").out()).isEqualTo("print(6*7)\n");

            CliHarness.Result running = cli.run("rm", name);
            assertThat(running.exitCode()).isEqualTo(4);
            CliHarness.Result rm = cli.run("rm", "--force", name);
            assertThat(rm.exitCode()).as(rm.toString()).isZero();
            assertThat(cli.run("info", name).exitCode()).isEqualTo(3);

            CliHarness.Result logs = cli.run("logs", name);
            assertThat(logs.exitCode()).isZero();
            assertThat(logs.out()).contains("sandbox_created").contains("command_executed").contains("file_written")
                    .contains("sandbox_stopped").contains("sandbox_removed");
            assertThat(json(cli.run("logs", name, "--json", "--limit", "1").out()).get(0).get("event").asText())
                    .isEqualTo("sandbox_removed");

            CliHarness.Result verify = cli.run("audit", "verify");
            assertThat(verify.exitCode()).as(verify.toString()).isZero();
            assertThat(verify.out()).startsWith("ok: " + home.resolve(".agentkernel/audit.jsonl"));
        } finally {
            cli.run("rm", "--force", name);
        }
    }

    @Test
    void runKeepLeavesANamedSandboxInTheDetectedImage() {
        CliHarness.Result r = cli.run("run", "--keep", "--", "python3", "-c", "open('/tmp/kept','w').write('yes')");
        String kept = r.err().replaceAll("(?s).*kept sandbox (\\S+).*", "$1");
        try {
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(kept).startsWith("kept-");
            assertThat(cli.run("cat", kept, "/tmp/kept").out()).isEqualTo("yes");
        } finally {
            assertThat(cli.run("rm", "-f", kept).exitCode()).isZero();
        }
    }

    @Test
    void batchRunsEachLineInItsOwnSandbox(@TempDir Path dir) throws Exception {
        Path jobs = Files.writeString(dir.resolve("jobs.txt"), "echo hello\npython3 -c 'print(2+2)'\nsh -c 'exit 3'\n");
        CliHarness.Result r = cli.run("batch", jobs.toString(), "--json");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        JsonNode results = json(r.out()).get("results");
        assertThat(results.get(0).get("output").asText()).isEqualTo("hello\n");
        assertThat(results.get(1).get("output").asText()).isEqualTo("4\n");
        assertThat(results.get(2).get("exit_code").asInt()).isEqualTo(3);
    }

    @Test
    void setupDoctorPoolVersion() throws Exception {
        CliHarness.Result setup = cli.run("setup");
        assertThat(setup.exitCode()).as(setup.toString()).isZero();
        assertThat(setup.out()).startsWith("ready: engine at ").contains("agentkernel/python:local");

        CliHarness.Result doctor = cli.run("doctor");
        assertThat(doctor.exitCode()).as(doctor.toString()).isZero();
        assertThat(doctor.out()).containsPattern("ok +engine +Docker \\d+\\.\\d+").contains("agentkernel/busybox:local present")
                .contains("backend").contains("everything looks fine");
        JsonNode dj = json(cli.run("doctor", "--json").out());
        assertThat(dj.get("ok").asBoolean()).isTrue();

        CliHarness.Result pool = cli.run("pool", "--json");
        assertThat(pool.exitCode()).isZero();
        assertThat(json(pool.out()).get("enabled").asBoolean()).as("one-shot commands keep no pool").isFalse();
        assertThat(cli.run("version").out()).startsWith("agentkernel ");
    }
}
