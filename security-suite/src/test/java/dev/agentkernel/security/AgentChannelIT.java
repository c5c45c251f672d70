package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server-agent channel from inside a sandbox, in every profile: no command can open, read, write or ptrace
 * the process that holds it (the agent, PID 1, not dumpable), stop or kill it, flood the server's log through
 * it, forge an exit code, or leave a process behind that escaped its exec. An agent frozen from the host fails
 * its calls in time and is marked broken; the server and other sandboxes carry on.
 *
 * <p>Each case targets the agent as the command's parent ({@code $PPID}), so it would also hit an agent that is
 * not PID 1; and each checks that it tested something (the pid list holds the agent; the flood really ran).
 */
@SuiteKind(Kind.CHANNEL)
class AgentChannelIT extends SuiteBase {
    private static final String[] PROFILES = {"permissive", "moderate", "restrictive"};
    /** busybox sandboxes (shell cases; {@link SuiteBase#watch} can list their processes with ps). */
    static final Map<String, String> BOXES = new HashMap<>();
    /** python sandboxes (ptrace through ctypes). */
    static final Map<String, String> PYBOXES = new HashMap<>();

    @BeforeAll
    static void setUp() {
        RawHttp http = SuiteServer.shared().http;
        for (String profile : PROFILES) {
            BOXES.put(profile, create(http, "ch-" + profile.substring(0, 4), profile, SuiteServer.BUSYBOX));
            PYBOXES.put(profile, create(http, "chpy-" + profile.substring(0, 4), profile, SuiteServer.PYTHON));
        }
    }

    private static String create(RawHttp http, String prefix, String profile, String image) {
        String name = prefix + "-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        RawHttp.Response r = http.post("/sandboxes", "{\"name\":\"" + name + "\",\"image\":\"" + image
                + "\",\"profile\":\"" + profile + "\",\"memory_mb\":128}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return name;
    }

    @AfterAll
    static void tearDown() {
        RawHttp http = SuiteServer.shared().http;
        BOXES.values().forEach(n -> http.delete("/sandboxes/" + n));
        PYBOXES.values().forEach(n -> http.delete("/sandboxes/" + n));
    }

    private JsonNode exec(String box, int timeoutMs, String... argv) {
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec", cmd("\"timeout_ms\":" + timeoutMs, argv)));
        assertThat(r.status()).as(abbreviate(r.text())).isEqualTo(200);
        return r.data();
    }

    private JsonNode sh(String profile, int timeoutMs, String script) {
        String box = BOXES.get(profile);
        watch(box);
        return exec(box, timeoutMs, "sh", "-c", script);
    }

    /** The sandbox answers at once, and its agent is still the process it was. */
    private void agentStillServes(String profile) {
        long t0 = System.nanoTime();
        JsonNode ok = sh(profile, 10_000, "echo alive; grep '^State' /proc/1/status");
        assertThat(ok.path("stdout").asText()).startsWith("alive\n").doesNotContain("stopped");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    }

    /**
     * Every process outside the command's own session (that is the agent; any other exec's processes too) is
     * probed: its fds opened for reading and for writing, its mem, environ and maps opened, PTRACE_ATTACH and
     * PTRACE_SEIZE. Prints the pids checked and one line per success.
     */
    private static final String PROBE = String.join("\n",
            "import os, ctypes",
            "me, mysid = os.getpid(), os.getsid(0)",
            "def sid(p):",
            "    try:",
            "        s = open('/proc/%d/stat' % p).read()",
            "        return int(s[s.rindex(')') + 2:].split()[3])",
            "    except OSError:",
            "        return mysid",
            "others = sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and sid(int(p)) != mysid)",
            "print('parent', os.getppid(), 'checked', others)",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "for p in others:",
            "    try:",
            "        fds = os.listdir('/proc/%d/fd' % p)",
            "    except OSError:",
            "        fds = [str(i) for i in range(64)]",
            "    for fd in fds:",
            "        for mode, name in ((os.O_RDONLY, 'read'), (os.O_WRONLY, 'write')):",
            "            try:",
            "                os.close(os.open('/proc/%d/fd/%s' % (p, fd), mode | os.O_NONBLOCK))",
            "                print('OPENED', p, 'fd', fd, 'for', name)",
            "            except OSError:",
            "                pass",
            "    for f in ('mem', 'environ', 'maps'):",
            "        try:",
            "            os.close(os.open('/proc/%d/%s' % (p, f), os.O_RDONLY))",
            "            print('OPENED', p, f)",
            "        except OSError:",
            "            pass",
            "    if libc.ptrace(16, p, 0, 0) == 0:",  // PTRACE_ATTACH: stops it; wait, then let it go
            "        print('PTRACED', p)",
            "        os.waitpid(p, 0x40000000)",
            "        libc.ptrace(17, p, 0, 0)",
            "    if libc.ptrace(0x4206, p, 0, 0) == 0:",  // PTRACE_SEIZE
            "        print('SEIZED', p)",
            "print('end')");

    @ParameterizedTest(name = "[{index}] the agent's fds, memory and ptrace are out of reach in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void theChannelHolderCannotBeOpenedOrTraced(String profile) {
        String box = PYBOXES.get(profile);
        JsonNode r = exec(box, 30_000, "python3", "-c", PROBE);
        String out = r.path("stdout").asText();
        assertThat(out).as(r.toString()).contains("end");
        String parent = out.lines().findFirst().orElse("").split(" ")[1];
        // not vacuous: the agent (our parent) is among the pids probed
        assertThat(out.lines().findFirst().orElse("")).contains("checked [").containsPattern("[\\[ ]" + parent + "[,\\]]");
        assertThat(out).doesNotContain("OPENED").doesNotContain("PTRACED").doesNotContain("SEIZED");
        JsonNode again = exec(box, 10_000, "echo", "alive");
        assertThat(again.path("stdout").asText()).isEqualTo("alive\n");
    }

    @ParameterizedTest(name = "[{index}] SIGSTOP to the agent is dropped in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void stoppingTheAgentFromInsideDoesNothing(String profile) {
        JsonNode r = sh(profile, 10_000, "kill -STOP $PPID; kill -STOP 1; sleep 0.3; grep '^State' /proc/$PPID/status");
        assertThat(r.path("exit_code").asInt()).isZero();
        assertThat(r.path("stdout").asText()).doesNotContain("stopped");
        agentStillServes(profile);
    }

    @ParameterizedTest(name = "[{index}] SIGKILL/TERM/INT/HUP/SEGV to the agent are dropped in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void killingTheAgentFromInsideDoesNothing(String profile) {
        JsonNode r = sh(profile, 10_000, "for s in TERM INT HUP SEGV USR1 KILL; do kill -$s $PPID; kill -$s 1; done; "
                + "sleep 0.3; echo survived");
        assertThat(r.path("stdout").asText()).isEqualTo("survived\n");
        agentStillServes(profile);
    }

    @ParameterizedTest(name = "[{index}] a flood into the agent's stderr is refused in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void floodingTheServerLogThroughTheAgentIsRefused(String profile) {
        JsonNode r = sh(profile, 20_000, "for fd in 1 2; do head -c 20000000 /dev/zero | tr '\\0' A > /proc/$PPID/fd/$fd "
                + "&& echo WROTE_$fd; done; printf '\\033]0;x\\r\\n' > /proc/1/fd/2 && echo WROTE_ESC; "
                + "head -c 20000000 /dev/zero | tr '\\0' A | wc -c");
        String out = r.path("stdout").asText();
        assertThat(out).as(r.toString()).contains("20000000").doesNotContain("WROTE");
        assertThat(r.path("stderr").asText()).contains("Permission denied");
        agentStillServes(profile);
    }

    @ParameterizedTest(name = "[{index}] output that looks like protocol frames does not change the exit code in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void forgedFramesInOutputChangeNothing(String profile) {
        // An EXIT frame (length 6, type 0x84) with code 0 for the first few request ids after any start, on stdout
        // and stderr, and written to the agent's stdout where that is allowed (it is not).
        String frame = "\\000\\000\\000\\006\\204\\000\\000\\000\\001\\000\\000\\000\\000\\000\\000";
        JsonNode r = sh(profile, 10_000, "f() { printf '" + frame + "'; }; f; f >&2; f > /proc/$PPID/fd/1 && echo WROTE; "
                + "echo real; exit 3");
        assertThat(r.path("exit_code").asInt()).isEqualTo(3);
        assertThat(r.path("stdout").asText()).endsWith("real\n").doesNotContain("WROTE");
        agentStillServes(profile);
    }

    @ParameterizedTest(name = "[{index}] a process that escaped its exec does not outlive its timeout in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void escapedProcessDoesNotOutliveTheTimeout(String profile) {
        // Double fork, new session, cleared environment: no session, marker or ancestry links it to the exec.
        JsonNode r = sh(profile, 2_000, "(setsid env -i sh -c 'exec sleep 777123' >/dev/null 2>&1 </dev/null &); "
                + "sleep 1; " + count("sleep 777123") + "; sleep 1000");
        assertThat(r.path("timed_out").asBoolean()).isTrue();
        assertThat(r.path("stdout").asText().trim()).as("the escape ran").isEqualTo("1");
        JsonNode after = sh(profile, 10_000, count("sleep 777123"));
        assertThat(after.path("stdout").asText().trim()).isEqualTo("0");
    }

    @ParameterizedTest(name = "[{index}] a process that escaped its exec does not outlive its end in {0}")
    @ValueSource(strings = {"permissive", "moderate", "restrictive"})
    void escapedProcessDoesNotOutliveTheExec(String profile) {
        JsonNode r = sh(profile, 10_000, "(setsid env -i sh -c 'exec sleep 777124' >/dev/null 2>&1 </dev/null &); "
                + "sleep 0.5; " + count("sleep 777124"));
        assertThat(r.path("stdout").asText().trim()).as("the escape ran").isEqualTo("1");
        JsonNode after = sh(profile, 10_000, count("sleep 777124"));
        assertThat(after.path("stdout").asText().trim()).isEqualTo("0");
    }

    /** Shell that prints how many processes have exactly this command line (the shell's own never matches). */
    private static String count(String cmdline) {
        return "n=0; for p in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\" = '" + cmdline
                + " ' ] && n=$((n+1)); done; echo $n";
    }

    @Test
    void agentFrozenFromTheHostFailsInTimeAndTheServerCarriesOn() {
        String box = sandbox("ch-frozen", "moderate", SuiteServer.BUSYBOX);
        String id = Engine.containerOf(box);
        Engine.client().pauseContainerCmd(id).exec();
        cleanup(() -> {
            try {
                Engine.client().unpauseContainerCmd(id).exec();
            } catch (RuntimeException goneOrNotPaused) {
                // removed by the case
            }
        });
        long t0 = System.nanoTime();
        RawHttp.Response r = track(http().post("/sandboxes/" + box + "/exec",
                cmd("\"timeout_ms\":60000", "cat")));
        assertThat(r.status()).as(r.text()).isIn(409, 503);
        assertThat(r.text()).contains(box);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(9_000);
        // later calls fail at once; health and other sandboxes are fine
        long t1 = System.nanoTime();
        RawHttp.Response later = track(http().get("/sandboxes/" + box + "/files/etc/hostname"));
        assertThat(later.status()).as(later.text()).isEqualTo(409);
        assertThat(later.text()).contains("is broken");
        assertThat((System.nanoTime() - t1) / 1_000_000).isLessThan(2_000);
        assertThat(track(http().get("/health")).status()).isEqualTo(200);
        agentStillServes("moderate");
        long t2 = System.nanoTime();
        assertThat(track(http().delete("/sandboxes/" + box)).status()).isIn(200, 204);
        assertThat((System.nanoTime() - t2) / 1_000_000).isLessThan(5_000);
    }
}
