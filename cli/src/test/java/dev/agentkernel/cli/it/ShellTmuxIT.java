package dev.agentkernel.cli.it;

import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.Backends;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.config.ConfigLoader;
import dev.agentkernel.server.AgentKernelServer;
import dev.agentkernel.server.ServerOptions;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * {@code agentkernel shell} in a real pseudo-terminal: tmux runs the CLI (a child JVM), types into it, resizes its
 * window and reads its screen. Remote ({@code --url}) and embedded.
 */
class ShellTmuxIT {
    private static final String KEY = "shell-it-secret";

    @TempDir
    static Path home;

    private static AgentKernel kernel;
    private static AgentKernelServer server;
    private static String url;
    private static String sandbox;
    private static String socket;

    @BeforeAll
    static void start() throws Exception {
        assumeThat(run("tmux", "-V")).as("tmux is installed").isZero();
        AgentKernelConfig config = ConfigLoader.defaults(home).withPool(new AgentKernelConfig.Pool(0, 0));
        kernel = AgentKernel.builder().backend(Backends.open(new BackendSettings(null, InstanceId.current(), Map.of())))
                .config(config).build();
        server = AgentKernelServer.start(kernel, ServerOptions.from(config, KEY).withHost("127.0.0.1").withPort(0));
        url = "http://127.0.0.1:" + server.port();
        byte[] b = new byte[3];
        new SecureRandom().nextBytes(b);
        sandbox = "shell-it-" + HexFormat.of().formatHex(b);
        socket = "agentkernel-" + sandbox;
        kernel.create(SandboxSpec.named(sandbox, "agentkernel/busybox:local"));
    }

    @AfterAll
    static void stop() throws Exception {
        run("tmux", "-L", socket, "kill-server");
        try {
            if (kernel != null) {
                kernel.remove(sandbox);
            }
            if (server != null) {
                server.close();
            }
            if (kernel != null) {
                kernel.close();
            }
        } finally {
            EngineView.removeAllOf(InstanceId.current());
        }
    }

    @Test
    void remoteShellFollowsTheWindowPassesCtrlCAndReturnsTheStatus() throws Exception {
        Path exit = home.resolve("remote.exit");
        String session = "remote";
        tmux(session, exit, "--url", url, "shell", sandbox, "-e", "PS1=ok$ ", "--", "sh");
        await(session, "ok$");
        keys(session, "stty size", "Enter");
        await(session, "30 100");
        run("tmux", "-L", socket, "resize-window", "-t", session, "-x", "120", "-y", "40");
        // A window change reaches the sandbox asynchronously (SIGWINCH, stty, a resize message), as over ssh: ask
        // again until the new size shows, or fail after await's deadline if it never does.
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            keys(session, "stty size", "Enter");
        } while (!appears(session, "40 120", 2) && System.nanoTime() < end);
        await(session, "40 120");
        keys(session, "sleep 30; echo not-interrupted", "Enter");
        Thread.sleep(500);
        keys(session, "C-c");
        keys(session, "echo rc-$?", "Enter");
        await(session, "rc-130");
        keys(session, "exit 3", "Enter");
        assertThat(awaitFile(exit, session)).isEqualTo("EXIT=3");
    }

    /**
     * Embedded: the CLI's own kernel. The sandbox is made, inspected and removed by CLI processes too, one at a time:
     * two kernels attached to one sandbox's agent at once would read each other's answers.
     */
    @Test
    void embeddedShellDetachesWithTildeDot() throws Exception {
        String own = sandbox + "-emb";
        assertThat(cli("create", own, "--image", "agentkernel/busybox:local")).isZero();
        try {
            Path exit = home.resolve("embedded.exit");
            String session = "embedded";
            tmux(session, exit, "shell", own, "-e", "PS1=emb$ ", "--", "sh", "-c", "sleep 301 & exec sh");
            await(session, "emb$");
            keys(session, "tty", "Enter");
            await(session, "/dev/pts/");
            keys(session, "", "Enter");
            keys(session, "~.");
            assertThat(awaitFile(exit, session)).isEqualTo("EXIT=0");
            // The session's processes went with it.
            Path ps = home.resolve("ps.out");
            assertThat(cliTo(ps, "exec", own, "--", "ps", "-o", "args")).isZero();
            assertThat(Files.readString(ps)).contains("ps -o args").doesNotContain("sleep 301");
        } finally {
            cli("rm", "--force", own);
        }
    }

    private static int cli(String... args) throws Exception {
        return cliTo(null, args);
    }

    /** The CLI as a plain child process (embedded), its stdout to {@code out} when given. */
    private static int cliTo(Path out, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(out == null)
                .redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        if (out != null) {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        pb.environment().put("HOME", cliHome().toString());
        pb.environment().put("AGENTKERNEL_DOCKER_PULL", "false");
        pb.environment().remove("AGENTKERNEL_BASE_URL");
        Process p = pb.start();
        return p.waitFor(120, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** The CLI processes' own home (config, audit log): not the test kernel's, as on another user's machine. */
    private static Path cliHome() throws IOException {
        return Files.createDirectories(home.resolve("cli"));
    }

    private static List<String> javaCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.agentkernel.cli.Main");
    }

    /** Starts the CLI in a new tmux session of 100x30; its exit status is written to {@code exitFile}. */
    private static void tmux(String session, Path exitFile, String... cliArgs) throws Exception {
        List<String> java = new ArrayList<>(javaCommand());
        java.addAll(List.of(cliArgs));
        StringBuilder cmd = new StringBuilder("env HOME=" + quote(cliHome().toString()) + " AGENTKERNEL_API_KEY=" + KEY
                + " AGENTKERNEL_DOCKER_PULL=false TERM=xterm");
        for (String a : java) {
            cmd.append(' ').append(quote(a));
        }
        cmd.append("; echo EXIT=$? > ").append(quote(exitFile.toString())).append("; sleep 30");
        assertThat(run("tmux", "-L", socket, "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                cmd.toString())).isZero();
    }

    private static void keys(String session, String... keys) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "send-keys", "-t", session));
        for (String k : keys) {
            if (k.equals("Enter") || k.equals("C-c")) {
                cmd.add(k);
            } else if (!k.isEmpty()) {
                cmd.addAll(List.of("-l", k));
                assertThat(run(cmd.toArray(String[]::new))).isZero();
                cmd = new ArrayList<>(List.of("tmux", "-L", socket, "send-keys", "-t", session));
            }
        }
        if (cmd.size() > 6) {
            assertThat(run(cmd.toArray(String[]::new))).isZero();
        }
    }

    private static void await(String session, String text) throws Exception {
        if (!appears(session, text, 60)) {
            throw new AssertionError("no '" + text + "' on the screen:\n" + capture(session));
        }
    }

    private static boolean appears(String session, String text, int seconds) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            if (capture(session).contains(text)) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private static String capture(String session) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tmux", "-L", socket, "capture-pane", "-p", "-t", session)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    private static String awaitFile(Path file, String session) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (Files.exists(file)) {
                String s = Files.readString(file).trim();
                if (!s.isEmpty()) {
                    return s;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the CLI did not end; its screen:\n" + capture(session));
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
