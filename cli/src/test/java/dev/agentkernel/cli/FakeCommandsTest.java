package dev.agentkernel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every sandbox command end to end through picocli, embedded over the in-memory fake backend. */
class FakeCommandsTest {
    @TempDir
    Path tmp;

    private FakeBackend fake;
    private CliHarness cli;
    private Path auditFile;

    @BeforeEach
    void setUp() {
        fake = new FakeBackend();
        auditFile = tmp.resolve("audit.jsonl");
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig config = ConfigFiles.oneShot(new AgentKernelConfig(d.server(), d.sandbox(), d.resources(), d.pool(),
                d.limits(), new AgentKernelConfig.Audit(auditFile, true), d.images()));
        cli = new CliHarness((connection, console) ->
                AgentKernel.builder().backend(fake).config(config).build(),
                Map.of("AGENTKERNEL_HOME", tmp.toString()));
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void runPassesOutputAndExitStatusThrough() {
        CliHarness.Result ok = cli.run("run", "--", "echo", "hello", "world");
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).isEqualTo("hello world\n");
        assertThat(ok.err()).isEmpty();

        CliHarness.Result seven = cli.run("run", "--", "sh", "-c", "exit 7");
        assertThat(seven.exitCode()).isEqualTo(7);
        assertThat(seven.out()).isEmpty();

        CliHarness.Result toStderr = cli.run("run", "--", "sh", "-c", "echo oops >&2");
        assertThat(toStderr.out()).isEmpty();
        assertThat(toStderr.err()).isEqualTo("oops\n");

        CliHarness.Result missing = cli.run("run", "--", "nosuchprogram");
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(fake.names()).as("temporary sandboxes are removed").isEmpty();
    }

    @Test
    void runTimeoutKillsAndExits124() {
        CliHarness.Result r = cli.run("run", "--timeout", "200ms", "--", "sleep", "30");
        assertThat(r.exitCode()).isEqualTo(124);
        assertThat(r.err()).contains("error: the command timed out");
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void runJsonAndEnvAndNoNetwork() throws Exception {
        CliHarness.Result r = cli.run("run", "--json", "--no-network", "-e", "GREETING=hi", "--", "printenv", "GREETING");
        assertThat(r.exitCode()).isZero();
        JsonNode j = json(r.out());
        assertThat(j.get("exit_code").asInt()).isZero();
        assertThat(j.get("stdout").asText()).isEqualTo("hi\n");
        assertThat(j.get("sandbox").asText()).isNotBlank();

        CliHarness.Result conflict = cli.run("run", "--no-network", "--profile", "moderate", "--", "true");
        assertThat(conflict.exitCode()).isEqualTo(2);
        assertThat(conflict.err()).startsWith("error: --no-network cannot be combined with --profile moderate");
    }

    @Test
    void runKeepLeavesANamedSandbox() {
        CliHarness.Result r = cli.run("run", "--keep", "--", "hostname");
        assertThat(r.exitCode()).isZero();
        String name = r.out().trim();
        assertThat(name).startsWith("kept-");
        assertThat(r.err()).contains("kept sandbox " + name);
        assertThat(fake.names()).containsExactly(name);
        assertThat(cli.run("rm", "--force", name).exitCode()).isZero();
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void namedSandboxLifecycle() throws Exception {
        CliHarness.Result created = cli.run("create", "dev", "--vcpus", "2", "--memory", "256", "--profile", "restrictive");
        assertThat(created.exitCode()).isZero();
        assertThat(created.out()).isEqualTo("dev\n");

        CliHarness.Result dup = cli.run("create", "dev");
        assertThat(dup.exitCode()).isEqualTo(4);
        assertThat(dup.err()).startsWith("error: ").contains("dev");

        CliHarness.Result ls = cli.run("ls");
        assertThat(ls.exitCode()).isZero();
        assertThat(ls.out().lines().toList().get(0)).startsWith("NAME").contains("STATUS").contains("IMAGE");
        assertThat(ls.out()).containsPattern("(?m)^dev +running +\\S+ +restrictive +2 +256 +named");

        JsonNode lsJson = json(cli.run("ls", "--json").out());
        assertThat(lsJson).hasSize(1);
        assertThat(lsJson.get(0).get("name").asText()).isEqualTo("dev");
        assertThat(lsJson.get(0).get("memory_mb").asInt()).isEqualTo(256);

        CliHarness.Result info = cli.run("info", "dev");
        assertThat(info.out()).contains("name:       dev").contains("status:     running").contains("vcpus:      2");
        assertThat(json(cli.run("info", "dev", "--json").out()).get("profile").asText()).isEqualTo("restrictive");

        CliHarness.Result exec = cli.run("exec", "dev", "-e", "A=1", "-w", "/tmp", "--", "pwd");
        assertThat(exec.exitCode()).isZero();
        assertThat(exec.out()).isEqualTo("/tmp\n");
        assertThat(cli.run("exec", "dev", "--", "sh", "-c", "exit 5").exitCode()).isEqualTo(5);
        assertThat(json(cli.run("exec", "dev", "--json", "--", "printenv", "B").out()).get("exit_code").asInt()).isEqualTo(1);

        CliHarness.Result rmRunning = cli.run("rm", "dev");
        assertThat(rmRunning.exitCode()).isEqualTo(4);
        assertThat(rmRunning.err()).contains("is running; stop it first or use rm --force");

        assertThat(cli.run("stop", "dev").out()).isEqualTo("dev\n");
        assertThat(cli.run("info", "dev").out()).contains("status:     stopped");
        CliHarness.Result execStopped = cli.run("exec", "dev", "--", "true");
        assertThat(execStopped.exitCode()).isEqualTo(4);
        assertThat(cli.run("start", "dev", "--json").out()).contains("\"status\" : \"running\"");

        CliHarness.Result logs = cli.run("logs", "dev");
        assertThat(logs.exitCode()).isZero();
        assertThat(logs.out()).contains("sandbox_created").contains("command_executed").contains("sandbox_stopped");
        JsonNode logsJson = json(cli.run("logs", "dev", "--limit", "2", "--json").out());
        assertThat(logsJson).hasSize(2);
        assertThat(json(cli.run("logs", "dev", "--since", "2999-01-01T00:00:00Z", "--json").out())).isEmpty();

        assertThat(cli.run("stop", "dev").exitCode()).isZero();
        CliHarness.Result rm = cli.run("rm", "dev");
        assertThat(rm.exitCode()).isZero();
        assertThat(rm.out()).isEqualTo("dev\n");
        assertThat(fake.names()).isEmpty();
        assertThat(cli.run("logs", "dev").out()).as("logs outlive the sandbox").contains("sandbox_removed");
    }

    @Test
    void missingSandboxesAreNotFoundWithOneLine() {
        for (List<String> args : List.of(List.of("exec", "nosuch", "--", "true"), List.of("info", "nosuch"),
                List.of("stop", "nosuch"), List.of("start", "nosuch"), List.of("rm", "nosuch"),
                List.of("cat", "nosuch", "/etc/passwd"))) {
            CliHarness.Result r = cli.run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as(args.toString()).isEqualTo(3);
            assertThat(r.err()).as(args.toString()).isEqualTo("error: Sandbox 'nosuch' not found\n");
            assertThat(r.out()).isEmpty();
        }
        assertThat(cli.run("rm", "--force", "nosuch").exitCode()).isZero();
    }

    @Test
    void rmTakesSeveralNamesAndReportsEachFailure() {
        cli.run("create", "a");
        cli.run("create", "b");
        CliHarness.Result r = cli.run("rm", "-f", "a", "b");
        assertThat(r.out()).isEqualTo("a\nb\n");
        cli.run("create", "c");
        cli.run("stop", "c");
        CliHarness.Result partly = cli.run("rm", "nosuch", "c");
        assertThat(partly.exitCode()).isEqualTo(3);
        assertThat(partly.out()).isEqualTo("c\n");
        assertThat(partly.err()).isEqualTo("error: Sandbox 'nosuch' not found\n");
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void invalidNamesAreUsageErrors() {
        CliHarness.Result r = cli.run("create", "bad/name");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: Invalid sandbox name");
    }

    @Test
    void cpUploadsFilesAndDirectoriesAndCatShowsThem() throws Exception {
        cli.run("create", "box");
        Path file = Files.writeString(tmp.resolve("hello.txt"), "hello\n");
        assertThat(cli.run("cp", file.toString(), "box:/tmp/").exitCode()).isZero();
        assertThat(cli.run("cat", "box", "/tmp/hello.txt").out()).isEqualTo("hello\n");

        Path dir = Files.createDirectories(tmp.resolve("proj/src"));
        Files.writeString(dir.resolve("main.py"), "print(1)\n");
        Files.writeString(tmp.resolve("proj/README"), "readme\n");
        CliHarness.Result dirCopy = cli.run("cp", "-v", tmp.resolve("proj").toString(), "box:/work/");
        assertThat(dirCopy.exitCode()).isZero();
        assertThat(dirCopy.err()).contains("copied 2 files");
        assertThat(cli.run("cat", "box", "/work/proj/src/main.py").out()).isEqualTo("print(1)\n");
        assertThat(cli.run("cat", "box", "/work/proj/README").out()).isEqualTo("readme\n");

        CliHarness.Result noFile = cli.run("cat", "box", "/tmp/none");
        assertThat(noFile.exitCode()).isEqualTo(3);
        CliHarness.Result bothLocal = cli.run("cp", file.toString(), tmp.resolve("x").toString());
        assertThat(bothLocal.exitCode()).isEqualTo(2);
        assertThat(bothLocal.err()).contains("exactly one of SRC and DEST");
        cli.run("rm", "-f", "box");
    }

    @Test
    void createWithTtlAndExtend() throws Exception {
        CliHarness.Result created = cli.run("create", "ttl", "--ttl", "2h", "--json");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        java.time.Instant expires = java.time.Instant.parse(json(created.out()).get("expires_at").asText());
        assertThat(json(created.out()).get("uuid").asText()).hasSize(36);
        CliHarness.Result extended = cli.run("extend", "ttl", "--by", "30m", "--json");
        assertThat(extended.exitCode()).as(extended.toString()).isZero();
        java.time.Instant later = java.time.Instant.parse(json(extended.out()).get("expires_at").asText());
        assertThat(java.time.Duration.between(expires, later)).isEqualTo(java.time.Duration.ofMinutes(30));
        CliHarness.Result bad = cli.run("extend", "ttl", "--by", "soon");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).startsWith("error: Invalid by");
        CliHarness.Result badTtl = cli.run("create", "ttl2", "--ttl", "0");
        assertThat(badTtl.exitCode()).isEqualTo(2);
        assertThat(badTtl.err()).startsWith("error: Invalid ttl");
        assertThat(fake.names()).doesNotContain("ttl2");
        cli.run("rm", "-f", "ttl");
    }

    @Test
    void detachedCommandsOnABackendWithoutThemExitUnsupported() {
        cli.run("create", "det");
        CliHarness.Result r = cli.run("exec", "det", "--detach", "--", "sleep", "1");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(9);
        assertThat(r.err()).startsWith("error: ").contains("detached_commands");
        assertThat(cli.run("detached", "ls", "det").exitCode()).isEqualTo(9);
        CliHarness.Result bare = cli.run("detached");
        assertThat(bare.exitCode()).as("a usage error, as snapshot/volume/secret/audit without a subcommand")
                .isEqualTo(2);
        assertThat(bare.err()).contains("Usage:");
        cli.run("rm", "-f", "det");
    }

    @Test
    void cpOfADirectoryIsOneBulkWriteCheckedFirst() throws Exception {
        cli.run("create", "bulk");
        Path dir = Files.createDirectories(tmp.resolve("many/sub"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(dir.resolve("f" + i + ".txt"), "file " + i + "\n");
        }
        // The Sandboxes the command gets, with its calls counted.
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        AgentKernelConfig d = AgentKernelConfig.defaults();
        AgentKernelConfig config = ConfigFiles.oneShot(new AgentKernelConfig(d.server(), d.sandbox(), d.resources(),
                d.pool(), d.limits(), new AgentKernelConfig.Audit(auditFile, true), d.images()));
        CliHarness counted = new CliHarness((connection, console) -> {
            dev.agentkernel.api.Sandboxes k = AgentKernel.builder().backend(fake).config(config).build();
            return (dev.agentkernel.api.Sandboxes) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{dev.agentkernel.api.Sandboxes.class}, (proxy, m, args) -> {
                        calls.add(m.getName());
                        try {
                            return m.invoke(k, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }, Map.of("AGENTKERNEL_HOME", tmp.toString()));
        CliHarness.Result r = counted.run("cp", tmp.resolve("many").toString(), "bulk:/work/");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(calls).containsOnlyOnce("writeFiles").doesNotContain("writeFile");
        assertThat(cli.run("cat", "bulk", "/work/many/sub/f4.txt").out()).isEqualTo("file 4\n");
        cli.run("rm", "-f", "bulk");
    }

    @Test
    void catRefusesBinaryFiles() throws Exception {
        cli.run("create", "bin");
        Path blob = Files.write(tmp.resolve("blob"), new byte[] {(byte) 0xff, 0, (byte) 0xfe});
        cli.run("cp", blob.toString(), "bin:/tmp/");
        CliHarness.Result r = cli.run("cat", "bin", "/tmp/blob");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("is not UTF-8 text (3 bytes)").contains("agentkernel cp bin:/tmp/blob");
        cli.run("rm", "-f", "bin");
    }

    @Test
    void batchRunsTextAndJsonFilesInOrder() throws Exception {
        Path text = Files.writeString(tmp.resolve("jobs.txt"), "# two jobs\necho hello\necho 'two words'\n");
        CliHarness.Result r = cli.run("batch", text.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).containsSubsequence("== 1: echo hello  (exit 0", "hello\n", "== 2: echo 'two words'  (exit 0",
                "two words\n");

        Path json = Files.writeString(tmp.resolve("jobs.json"),
                "{\"commands\":[{\"command\":[\"echo\",\"a\"]},{\"command\":[\"sh\",\"-c\",\"exit 3\"]}]}");
        CliHarness.Result j = cli.run("batch", json.toString(), "--json");
        assertThat(j.exitCode()).isEqualTo(1);
        JsonNode results = json(j.out()).get("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).get("output").asText()).isEqualTo("a\n");
        assertThat(results.get(1).get("exit_code").asInt()).isEqualTo(3);
        assertThat(results.get(0).get("error").isNull()).isTrue();

        assertThat(cli.run("batch", tmp.resolve("none.txt").toString()).exitCode()).isEqualTo(3);
        assertThat(fake.names()).isEmpty();
    }

    @Test
    void poolShowsFigures() throws Exception {
        CliHarness.Result r = cli.run("pool");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("enabled:        false").contains("hits/misses:");
        JsonNode j = json(cli.run("pool", "--json").out());
        assertThat(j.get("enabled").asBoolean()).isFalse();
        assertThat(j.has("claim_latency_p50_ms")).isTrue();
    }

    @Test
    void auditVerifyChecksTheChainAndFindsTampering() throws Exception {
        cli.run("create", "aud");
        cli.run("rm", "-f", "aud");
        Path config = Files.writeString(tmp.resolve("unused.toml"), "");
        CliHarness.Result ok = cli.run("audit", "verify", "--file", auditFile.toString());
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).startsWith("ok: ").contains("the chain holds");

        List<String> lines = Files.readAllLines(auditFile);
        assertThat(lines).hasSizeGreaterThanOrEqualTo(2);
        Files.writeString(auditFile, String.join("\n", lines).replaceFirst("sandbox_created", "sandbox_cre4ted") + "\n",
                StandardCharsets.UTF_8);
        CliHarness.Result bad = cli.run("audit", "verify", "--file", auditFile.toString(), "--json");
        assertThat(bad.exitCode()).isEqualTo(1);
        JsonNode j = json(bad.out());
        assertThat(j.get("ok").asBoolean()).isFalse();
        assertThat(j.get("first_bad_line").asInt()).isEqualTo(2);
        assertThat(cli.run("audit", "verify", "--file", tmp.resolve("none.jsonl").toString()).exitCode()).isEqualTo(3);
        assertThat(config).exists();
    }

    /** The fake backend has neither snapshots nor volumes: exit 9 naming the capability; secrets need no backend. */
    @Test
    void snapshotsAndVolumesAreUnsupportedOnTheFakeAndSecretsWork() throws Exception {
        assertThat(cli.run("create", "box").exitCode()).isZero();
        CliHarness.Result snap = cli.run("snapshot", "take", "box");
        assertThat(snap.exitCode()).isEqualTo(9);
        assertThat(snap.err()).startsWith("error: ").contains("snapshots");
        assertThat(cli.run("volume", "ls").exitCode()).isEqualTo(9);
        assertThat(cli.run("snapshot").exitCode()).isEqualTo(2);
        Path value = Files.writeString(tmp.resolve("v"), "value-1\n");
        assertThat(cli.run("secret", "set", "K1", "--from-file", value.toString()).exitCode()).isZero();
        assertThat(cli.run("secret", "ls", "--json").out()).contains("\"K1\"").doesNotContain("value-1");
        assertThat(Files.readString(auditFile)).contains("secret_set").doesNotContain("value-1");
        assertThat(cli.run("secret", "set", "1K", "--from-file", value.toString()).exitCode()).isEqualTo(2);
        CliHarness.Result missing = cli.run("secret", "set", "K2", "--from-file", tmp.resolve("nope").toString());
        assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(3);
        assertThat(missing.err()).contains("No such file");
        assertThat(cli.run("secret", "rm", "K1").exitCode()).isZero();
        assertThat(cli.run("secret", "ls").out()).isEqualTo("\n");
    }
}
