package dev.agentkernel.server;

import dev.agentkernel.core.Backend;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.docker.DockerBackend;
import dev.agentkernel.testkit.BackendView;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SeedReplay} on the real Docker engine, plus the latency figures through HTTP. */
class ServerDockerIT extends SeedReplay {
    private final BackendView view = BackendView.docker();

    @Override
    protected String backendId() {
        return DockerBackend.ID;
    }

    @Override
    protected Backend openBackend(String owner) {
        return DockerBackend.open(new BackendSettings(DockerBackend.ID, owner, Map.of()));
    }

    @Override
    protected BackendView view() {
        return view;
    }

    @Test
    void latencyThroughHttp() {
        String box = name("latency");
        try {
            f.post("/run", "{\"command\": [\"true\"]}"); // warm the path
            long[] run = new long[10];
            for (int i = 0; i < run.length; i++) {
                long t = System.nanoTime();
                ServerFixture.Reply r = f.post("/run", "{\"command\": [\"echo\", \"hi\"]}");
                run[i] = (System.nanoTime() - t) / 1_000_000;
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.json().at("/data/output").asText()).isEqualTo("hi\n");
            }
            assertThat(f.post("/sandboxes", "{\"name\": \"" + box + "\", \"image\": \"" + BUSYBOX + "\"}").status())
                    .isEqualTo(201);
            long[] exec = new long[20];
            for (int i = 0; i < exec.length; i++) {
                long t = System.nanoTime();
                ServerFixture.Reply r = f.post("/sandboxes/" + box + "/exec", "{\"command\": [\"echo\", \"hi\"]}");
                exec[i] = (System.nanoTime() - t) / 1_000_000;
                assertThat(r.json().at("/data/output").asText()).isEqualTo("hi\n");
            }
            System.out.printf("[latency] POST /run (pool of 1, busybox) ms: p50=%d max=%d all=%s%n", p50(run),
                    Arrays.stream(run).max().orElse(0), Arrays.toString(run));
            System.out.printf("[latency] POST /sandboxes/{name}/exec ms: p50=%d max=%d all=%s%n", p50(exec),
                    Arrays.stream(exec).max().orElse(0), Arrays.toString(exec));
            long[] direct = new long[10];
            for (int i = 0; i < direct.length; i++) {
                long t = System.nanoTime();
                assertThat(f.kernel.run(dev.agentkernel.api.RunRequest.of("echo", "hi")).exec().output()).isEqualTo("hi\n");
                direct[i] = (System.nanoTime() - t) / 1_000_000;
            }
            System.out.printf("[latency] kernel.run in-process (same pool) ms: p50=%d all=%s%n", p50(direct),
                    Arrays.toString(direct));
            System.out.println("[latency] pool: " + f.get("/pool").json().get("data"));
        } finally {
            f.delete("/sandboxes/" + box);
        }
    }

}
