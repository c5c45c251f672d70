package dev.agentkernel.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.cli.CliHarness;
import dev.agentkernel.cli.DefaultClientFactory;
import dev.agentkernel.cli.Json;
import dev.agentkernel.core.InstanceId;
import dev.agentkernel.kubesim.SharedSim;
import dev.agentkernel.kubesim.SimView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI, embedded, with {@code --backend kubernetes} and the {@code [kubernetes]} section of a config file, on
 * the simulated cluster: commands run in pods (their hostname is the pod's name), a named sandbox has its pod and
 * workspace claim, and nothing of this JVM's owner is left in the cluster. (Stop/start and the rest of the API on
 * this backend: {@code KubernetesSeedReplayIT}, {@code KubernetesBackendIT}.)
 */
class CliKubernetesIT {
    private static final String BUSYBOX = "agentkernel/busybox:local";

    @TempDir
    Path home;

    private CliHarness cli() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("HOME", home.toString()); // audit log under a temporary home
        env.remove("AGENTKERNEL_BASE_URL");
        env.remove("AGENTKERNEL_CONFIG");
        env.remove("AGENTKERNEL_BACKEND");
        return new CliHarness(new DefaultClientFactory(env), env);
    }

    @Test
    void embeddedCommandsRunInPodsWithTheKubernetesSection() throws Exception {
        Path config = home.resolve("agentkernel.toml");
        Files.writeString(config, "[kubernetes]\nkubeconfig = \"" + SharedSim.kubeconfig() + "\"\n"
                + "ready_timeout_ms = 60000\n");
        CliHarness cli = cli();
        String[] on = {"--backend", "kubernetes", "--config", config.toString()};
        SimView view = SharedSim.view();
        String name = "cli-k8s-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            CliHarness.Result run = cli.run(concat(on, "run", "--image", BUSYBOX, "--", "sh", "-c",
                    "echo out; hostname; echo err >&2; exit 3"));
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(3);
            assertThat(run.out()).as("the command ran in a pod").startsWith("out\nagentkernel-run-");
            assertThat(run.err()).isEqualTo("err\n");

            CliHarness.Result created = cli.run(concat(on, "create", name, "--image", BUSYBOX));
            assertThat(created.exitCode()).as(created.toString()).isZero();
            JsonNode info = Json.MAPPER.readTree(cli.run(concat(on, "info", name, "--json")).out());
            assertThat(info.get("backend").asText()).isEqualTo("kubernetes");
            assertThat(view.objectsNamed(name)).as("its pod and claim")
                    .containsExactlyInAnyOrder("pod/agentkernel-" + name, "persistentvolumeclaim/agentkernel-ws-" + name);
            CliHarness.Result exec = cli.run(concat(on, "exec", name, "-w", "/workspace", "--", "sh", "-c",
                    "echo kept > f && cat f && hostname"));
            assertThat(exec.out()).as(exec.toString()).isEqualTo("kept\nagentkernel-" + name + "\n");
            CliHarness.Result removed = cli.run(concat(on, "rm", "--force", name));
            assertThat(removed.exitCode()).as(removed.toString()).isZero();
            assertThat(view.objectsOf(InstanceId.current())).as("left in the cluster").isEmpty();
        } finally {
            view.removeAllOf(InstanceId.current());
        }
    }

    @Test
    void backendWithUrlIsAUsageError() {
        CliHarness.Result r = cli().run("--url", "http://127.0.0.1:9", "--backend", "kubernetes", "ls");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--backend");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
