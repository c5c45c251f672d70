package dev.agentkernel.docker;

import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.agentkernel.docker.agent.AgentSupport;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints latency figures of the Docker backend (create+start, exec round trip, file write/read, remove).
 * A benchmark printout, not a speed test: it asserts only that every operation worked.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DockerBackendTimingIT {
    private static final int SANDBOXES = 8;
    private static final int EXECS = 40;

    @ParameterizedTest
    @ValueSource(strings = {"docker-exec", "auto"})
    void printLatencies(String execMode) {
        String owner = "timing-it/" + UUID.randomUUID();
        List<String> names = new ArrayList<>();
        try (DockerBackend b = DockerBackend.open(new BackendSettings("docker", owner,
                Map.of(AgentSupport.MODE_PROPERTY, execMode)))) {
            try {
                long[] create = new long[SANDBOXES];
                for (int i = 0; i < SANDBOXES; i++) {
                    String n = "timing-" + UUID.randomUUID().toString().substring(0, 8);
                    names.add(n);
                    long t = System.nanoTime();
                    b.create(new SandboxSpec(n, DockerBackendIT.BUSYBOX, 1, 256, SecurityProfile.RESTRICTIVE, null, null, null));
                    create[i] = System.nanoTime() - t;
                }
                String box = names.get(0);
                b.exec(box, ExecRequest.of("true")); // warm-up
                long[] exec = new long[EXECS];
                for (int i = 0; i < EXECS; i++) {
                    long t = System.nanoTime();
                    ExecResult r = b.exec(box, ExecRequest.of("echo", "x"));
                    exec[i] = System.nanoTime() - t;
                    assertThat(r.stdout()).isEqualTo("x\n");
                }
                long[] write = new long[EXECS / 2];
                long[] read = new long[EXECS / 2];
                byte[] payload = new byte[4096];
                for (int i = 0; i < write.length; i++) {
                    long t = System.nanoTime();
                    b.writeFile(box, new FileContent("/workspace/f" + i, payload));
                    write[i] = System.nanoTime() - t;
                    t = System.nanoTime();
                    assertThat(b.readFile(box, "/workspace/f" + i, 10_000).size()).isEqualTo(payload.length);
                    read[i] = System.nanoTime() - t;
                }
                long[] remove = new long[SANDBOXES];
                for (int i = 0; i < SANDBOXES; i++) {
                    long t = System.nanoTime();
                    b.remove(names.get(i));
                    remove[i] = System.nanoTime() - t;
                }
                names.clear();
                System.out.printf("%nDocker backend latencies, docker.exec=%s (ms, p50 / p90 / max):%n", execMode);
                print("create+start (restrictive)", create);
                print("exec round trip (echo)", exec);
                print("file write 4 KiB", write);
                print("file read 4 KiB", read);
                print("remove (force)", remove);
            } finally {
                for (String n : names) {
                    b.remove(n);
                }
            }
            assertThat(b.list().stream().filter(i -> owner.equals(i.owner()))).isEmpty();
        }
    }

    private static void print(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("  %-28s %7.1f / %7.1f / %7.1f  (n=%d)%n", what, ms(s[s.length / 2]),
                ms(s[(int) Math.min(s.length - 1, Math.round(s.length * 0.9))]), ms(s[s.length - 1]), s.length);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
