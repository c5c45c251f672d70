package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.testkit.EngineView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code GET /sandboxes/{name}/pty} against the real engine: a terminal in every profile (the read-only root
 * included), resize, Ctrl-C, exit status, the tree killed when the socket closes, the audit, the limits, and a flood
 * or a stalled reader that slows nothing else.
 */
class ServerPtyIT {
    static final String OWNER = "it-pty-" + HexFormat.of().formatHex(
            java.nio.ByteBuffer.allocate(4).putInt(ThreadLocalRandom.current().nextInt()).array());
    static final String SUFFIX = OWNER.substring(OWNER.length() - 8);
    static final String KEY = "pty-test-key";

    @TempDir
    static Path dir;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        EngineView.removeAllOf(OWNER);
        DockerBackend backend = DockerBackend.open(new BackendSettings(DockerBackend.ID, OWNER, Map.of()));
        f = new ServerFixture(backend, ServerFixture.config(8).withPty(new AgentKernelConfig.Pty(3, Duration.ofSeconds(30))),
                dir.resolve("audit.jsonl"),
                o -> o.withApiKey(KEY).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(1)),
                b -> b.reconcileFilter(s -> OWNER.equals(s.owner())));
    }

    @AfterAll
    static void stop() {
        try {
            if (f != null) {
                f.close();
            }
            assertThat(EngineView.containersOf(OWNER)).as("containers left behind").isEmpty();
        } finally {
            EngineView.removeAllOf(OWNER);
        }
    }

    static String sandbox(String base, SecurityProfile profile) {
        String name = base + "-" + SUFFIX;
        f.kernel.create(SandboxSpec.named(name, "agentkernel/busybox:local").withProfile(profile));
        return name;
    }

    @ParameterizedTest
    @EnumSource(SecurityProfile.class)
    void aShellOnATerminalInEveryProfile(SecurityProfile profile) throws Exception {
        String name = sandbox("pty-" + profile.wireName(), profile);
        try (WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?rows=24&cols=80&cmd=sh&env=PS1%3D%24%20", KEY)) {
            t.awaitControl("opened");
            t.type("tty; stty size\n");
            t.await("/dev/pts/");
            t.await("24 80");
            t.resize(40, 120);
            t.type("stty size\n");
            t.await("40 120");
            // Ctrl-C reaches the foreground process (sleep), not the shell: the shell prints on.
            t.type("sleep 30; echo after-sleep\n");
            Thread.sleep(300);
            t.type("\u0003");
            t.type("echo interrupted-$?\n");
            t.await("interrupted-130");
            assertThat(t.output()).doesNotContain("after-sleep\r\n$");
            t.type("exit 4\n");
            assertThat(t.awaitControl("exit").get("exit_code").asInt()).isEqualTo(4);
            assertThat(t.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
        } finally {
            f.kernel.remove(name);
        }
    }

    @Test
    void closingTheSocketKillsTheTreeAndIsAudited() throws Exception {
        String name = sandbox("pty-close", SecurityProfile.MODERATE);
        try {
            WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/" + name
                    + "/pty?cmd=sh&cmd=-c&cmd=setsid%20sleep%20300%20%26%20sleep%20301%20%26%20echo%20started%3B%20wait", KEY);
            t.await("started");
            t.type("typed-secret\n");
            t.await("typed-secret");
            assertThat(sleepers(name)).hasSize(2);
            t.close();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!sleepers(name).isEmpty() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(sleepers(name)).as("processes of the closed terminal").isEmpty();
            List<String> events = new ArrayList<>();
            JsonNode closed = null;
            for (int i = 0; i < 100 && closed == null; i++) {
                events.clear();
                for (JsonNode e : f.get("/sandboxes/" + name + "/logs").json().get("data")) {
                    events.add(e.get("event").asText());
                    if ("pty_closed".equals(e.get("event").asText())) {
                        closed = e;
                    }
                }
                Thread.sleep(50);
            }
            assertThat(events).contains("pty_opened", "pty_closed");
            assertThat(closed.toString()).contains("duration_ms").contains("\"exit_code\":137");
            assertThat(f.get("/sandboxes/" + name + "/logs").body()).as("keystrokes are never audited")
                    .doesNotContain("typed-secret");
        } finally {
            f.kernel.remove(name);
        }
    }

    @Test
    void aQuietTerminalOutlivesTheConnectionIdleTimeout() throws Exception {
        String name = sandbox("pty-quiet", SecurityProfile.MODERATE);
        try (WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?cmd=cat", KEY)) {
            t.awaitControl("opened");
            Thread.sleep(3500); // the server's idle timeout here is 2 s: it is for connections without a request
            t.type("still-open\n");
            t.await("still-open");
        } finally {
            f.kernel.remove(name);
        }
    }

    /** The sleeps of a terminal, seen from an ordinary exec in the sandbox. */
    private static List<String> sleepers(String name) {
        ExecResult r = f.kernel.exec(name, "sh", "-c", "ps -o args | grep '^sleep 30[01]' || true");
        return r.stdout().lines().toList();
    }

    @Test
    void refusalsBeforeAndAfterTheUpgrade() throws Exception {
        // Without the key: no upgrade at all.
        assertThatThrownBy(() -> WsTerminal.open(f.server.port(), "/sandboxes/x/pty", null))
                .hasCauseInstanceOf(java.net.http.WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((java.net.http.WebSocketHandshakeException) e.getCause()).getResponse()
                        .statusCode()).isEqualTo(401));
        // A plain GET (no upgrade) and a bad size are 400s naming the problem.
        ServerFixture.Reply plain = f.get("/sandboxes/x/pty");
        assertThat(plain.status()).isEqualTo(400);
        assertThat(plain.body()).contains("WebSocket");
        assertThat(f.get("/sandboxes/x/pty?rows=0").body()).contains("terminal size");
        // A missing sandbox: the error after the upgrade, close code 4404.
        try (WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/missing-" + SUFFIX + "/pty", KEY)) {
            assertThat(t.awaitControl("error").get("code").asText()).isEqualTo("not_found");
            assertThat(t.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4404);
        }
    }

    @Test
    void sessionsPerSandboxAreLimited() throws Exception {
        String name = sandbox("pty-limit", SecurityProfile.MODERATE);
        List<WsTerminal> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?cmd=cat", KEY);
                t.awaitControl("opened");
                open.add(t);
            }
            try (WsTerminal fourth = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?cmd=cat", KEY)) {
                assertThat(fourth.awaitControl("error").get("code").asText()).isEqualTo("busy");
                assertThat(fourth.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(4429);
            }
            open.remove(0).close();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            WsTerminal again = null;
            while (again == null && System.nanoTime() < end) {
                WsTerminal t = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?cmd=cat", KEY);
                for (int i = 0; i < 100 && t.control.isEmpty(); i++) {
                    Thread.sleep(20);
                }
                if (!t.control.isEmpty() && "opened".equals(t.control.get(0).path("type").asText())) {
                    again = t;
                } else {
                    Thread.sleep(100);
                }
            }
            assertThat(again).as("a slot is free again once a terminal closed").isNotNull();
            open.add(again);
        } finally {
            open.forEach(WsTerminal::close);
            f.kernel.remove(name);
        }
    }

    @Test
    void aFloodToAStalledReaderIsDroppedAndNothingElseSlows() throws Exception {
        String name = sandbox("pty-flood", SecurityProfile.MODERATE);
        try {
            WsTerminal stalled = WsTerminal.open(f.server.port(), "/sandboxes/" + name
                    + "/pty?cmd=sh&cmd=-c&cmd=cat%20/dev/zero", KEY, false);
            // Meanwhile another terminal of the same sandbox and the API answer promptly.
            try (WsTerminal other = WsTerminal.open(f.server.port(), "/sandboxes/" + name + "/pty?cmd=sh", KEY)) {
                other.awaitControl("opened");
                long start = System.nanoTime();
                other.type("echo still-here\n");
                other.await("still-here");
                assertThat(f.get("/health").status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            }
            // The stalled reader is dropped once 1 MiB waits for it: its terminal is killed (and audited as closed).
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!f.get("/sandboxes/" + name + "/logs").body().contains("cat /dev/zero\"],\"exit_code\":137")
                    && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            assertThat(f.get("/sandboxes/" + name + "/logs").body()).contains("cat /dev/zero\"],\"exit_code\":137");
            stalled.ws.request(Long.MAX_VALUE);
            assertThat(stalled.closeCode.get(30, TimeUnit.SECONDS)).as("its connection is closed").isIn(1008, -1);
            // A keystroke flood (4 MiB typed into a program that reads and discards it) while the API answers.
            try (WsTerminal typing = WsTerminal.open(f.server.port(), "/sandboxes/" + name
                    + "/pty?cmd=sh&cmd=-c&cmd=stty%20-echo%3B%20cat%20%3E/dev/null", KEY)) {
                typing.awaitControl("opened");
                String line = "x".repeat(1023) + "\n";
                Thread flood = new Thread(() -> {
                    for (int i = 0; i < 4096; i++) {
                        typing.type(line);
                    }
                });
                flood.start();
                Thread.sleep(300);
                long start = System.nanoTime();
                assertThat(f.get("/health").status()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
                flood.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(flood.isAlive()).as("4 MiB of keys went in within a minute").isFalse();
            }
        } finally {
            f.kernel.remove(name);
        }
    }
}
