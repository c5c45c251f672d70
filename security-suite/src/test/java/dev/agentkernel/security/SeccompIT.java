package dev.agentkernel.security;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our seccomp profile in every profile: each system call it refuses answers ENOSYS inside a sandbox (the engine's
 * default profile answers EPERM to most of them and lets io_uring, modify_ldt, adjtimex and memfd_secret through;
 * without any profile most of them run), and the two argument-filtered ones are refused for the dangerous
 * arguments only. One case per call and profile; the probe runs once per profile (python3 ctypes).
 */
@SuiteKind(Kind.SANDBOX)
class SeccompIT extends SuiteBase {
    private static final int ENOSYS = 38;
    private static final int EPERM = 1;
    /** Refused by their arguments: clone with namespace flags, personality(ADDR_NO_RANDOMIZE). */
    private static final List<String> FILTERED = List.of("clone_with_namespace_flags", "personality_no_aslr");
    private static final String[] PROFILES = {"permissive", "moderate", "restrictive"};
    private static final Map<String, String> BOXES = new ConcurrentHashMap<>();
    private static final Map<String, Map<String, Integer>> RESULTS = new ConcurrentHashMap<>();

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String profile : PROFILES) {
            for (String call : calls()) {
                out.add(Arguments.of(profile, call));
            }
        }
        return out.stream();
    }

    /**
     * The probe runs once per profile, before the cases (a sandbox made during a case would count as leaked). Under
     * gVisor our profile is not loaded inside the sandbox (docs/security.md): the calls reach gVisor, not Linux.
     */
    @BeforeAll
    static void probeEveryProfile() {
        if (!"amd64".equals(System.getProperty("os.arch")) || Engine.gvisor()) {
            return;
        }
        for (String profile : PROFILES) {
            RESULTS.put(profile, probe(profile));
        }
    }

    @AfterAll
    static void removeBoxes() {
        BOXES.values().forEach(b -> SuiteServer.shared().http.delete("/sandboxes/" + b));
    }

    @ParameterizedTest(name = "[{index}] {1} in {0}")
    @MethodSource("cases")
    void refused(String profile, String call) {
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "the probe has x86_64 numbers");
        Assumptions.assumeFalse(Engine.gvisor(), "under gVisor the sandbox's system calls reach gVisor, not the host kernel");
        Map<String, Integer> results = RESULTS.get(profile);
        assertThat(results).containsKey(call);
        int expected = FILTERED.contains(call) ? EPERM : ENOSYS;
        assertThat(results.get(call)).as("errno of %s in %s (0: it ran)", call, profile).isEqualTo(expected);
        assertThat(results).as("control: threads and a subprocess work under the profile").containsEntry("CONTROL", 0);
    }

    /** Runs the probe once in a python sandbox of the profile: call name -> errno. */
    private static Map<String, Integer> probe(String profile) {
        RawHttp http = SuiteServer.shared().http;
        String box = "sc-" + profile.substring(0, 4) + "-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        RawHttp.Response created = http.post("/sandboxes", "{\"name\":\"" + box + "\",\"image\":\""
                + SuiteServer.PYTHON + "\",\"profile\":\"" + profile + "\",\"memory_mb\":256}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        BOXES.put(profile, box);
        RawHttp.Response r = http.post("/sandboxes/" + box + "/exec",
                cmd("\"timeout_ms\":60000", "python3", "-c", script()));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode d = r.data();
        assertThat(d.path("exit_code").asInt()).as(d.toString()).isZero();
        Map<String, Integer> m = new ConcurrentHashMap<>();
        for (String line : d.path("stdout").asText().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 2) {
                m.put(f[0], f[0].equals("CONTROL") ? (f[1].equals("ok") ? 0 : -1) : Integer.parseInt(f[1]));
            }
        }
        return m;
    }

    private static String script() {
        try (InputStream in = SeccompIT.class.getResourceAsStream("seccomp-probe.py")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The calls the probe tries, read from its table. */
    private static List<String> calls() {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(\"([a-z0-9_]+)\",\\s*\\d+,").matcher(script());
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
