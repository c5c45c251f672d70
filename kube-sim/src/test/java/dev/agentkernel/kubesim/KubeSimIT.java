package dev.agentkernel.kubesim;

import com.github.dockerjava.api.DockerClient;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.readiness.Readiness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulated cluster seen through the plain fabric8 client, as any Kubernetes client would see it: pods become
 * Running and Ready and are real containers, exec and attach speak the channel protocol with real exit codes and
 * stdin, the pod's security context and volumes reach the container, and nothing is left on the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KubeSimIT {
    static final String IMAGE = "agentkernel/busybox:local";
    KubeSim sim;
    KubernetesClient client;
    DockerClient docker;

    @BeforeAll
    void start() {
        sim = KubeSim.start();
        client = sim.client();
        docker = KubeSim.dockerClient();
    }

    @AfterAll
    void stop() throws Exception {
        String id = sim.id();
        sim.close();
        assertThat(docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(KubeSim.LABEL, id)).exec())
                .as("containers left by the simulator").isEmpty();
        assertThat(docker.listVolumesCmd().withFilter("label", List.of(KubeSim.LABEL + "=" + id)).exec().getVolumes())
                .as("volumes left by the simulator").isNullOrEmpty();
        docker.close();
    }

    Pod run(String hint, UnaryOperator<PodBuilder> customize) {
        String name = hint + "-" + UUID.randomUUID().toString().substring(0, 6);
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).addToLabels("app", hint).endMetadata()
                .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("main").withImage(IMAGE)
                .withCommand("sleep", "600").endContainer().endSpec();
        Pod pod = client.pods().resource(customize.apply(b).build()).create();
        return pod;
    }

    Pod ready(Pod pod) {
        return client.pods().withName(pod.getMetadata().getName())
                .waitUntilCondition(p -> p != null && Readiness.isPodReady(p), 60, TimeUnit.SECONDS);
    }

    record Out(int code, String stdout, String stderr) {
    }

    Out exec(Pod pod, String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ExecWatch w = client.pods().withName(pod.getMetadata().getName()).writingOutput(out).writingError(err)
                .exec(argv)) {
            int code = w.exitCode().get(30, TimeUnit.SECONDS);
            return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    String sh(Pod pod, String script) throws Exception {
        return exec(pod, "sh", "-c", script).stdout();
    }

    void delete(Pod pod) {
        client.pods().withName(pod.getMetadata().getName()).delete();
    }

    @Test
    void podRunsAsAContainerAndExecGivesOutputAndExitCodes() throws Exception {
        Pod pod = ready(run("exec", b -> b));
        assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
        assertThat(pod.getSpec().getNodeName()).isEqualTo(SimKubelet.NODE_NAME);
        String containerId = pod.getStatus().getContainerStatuses().get(0).getContainerID().substring("docker://".length());
        assertThat(docker.inspectContainerCmd(containerId).exec().getState().getRunning()).isTrue();

        Out echo = exec(pod, "echo", "a b", "$HOME");
        assertThat(echo).isEqualTo(new Out(0, "a b $HOME\n", ""));
        Out three = exec(pod, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(three).isEqualTo(new Out(3, "out\n", "err\n"));
        assertThat(exec(pod, "no-such-program").code()).as("docker exec says 126, a kubelet on runc 127").isIn(126, 127);
        assertThat(sh(pod, "hostname")).isEqualTo(pod.getMetadata().getName() + "\n");

        delete(pod);
        waitGone(containerId);
    }

    @Test
    void execStdinRoundTrip() throws Exception {
        Pod pod = ready(run("stdin", b -> b));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // v4 has no stdin EOF: the command reads a known length.
        try (ExecWatch w = client.pods().withName(pod.getMetadata().getName()).redirectingInput().writingOutput(out)
                .exec("head", "-c", "12")) {
            w.getInput().write("hello\nworld\n".getBytes(StandardCharsets.UTF_8));
            w.getInput().flush();
            assertThat(w.exitCode().get(30, TimeUnit.SECONDS)).isZero();
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\nworld\n");
        delete(pod);
    }

    @Test
    void attachReachesTheMainProcessAndDetachingLeavesItRunning() throws Exception {
        Pod pod = ready(run("attach", b -> b.editSpec().editFirstContainer().withCommand("cat").withStdin(true)
                .withStdinOnce(false).endContainer().endSpec()));
        for (String word : List.of("first", "second")) {
            try (ExecWatch w = client.pods().withName(pod.getMetadata().getName()).redirectingInput()
                    .redirectingOutput().attach()) {
                w.getInput().write((word + "\n").getBytes(StandardCharsets.UTF_8));
                w.getInput().flush();
                assertThat(readLine(w.getOutput())).isEqualTo(word);
            }
        }
        assertThat(client.pods().withName(pod.getMetadata().getName()).get().getStatus().getPhase()).isEqualTo("Running");
        delete(pod);
    }

    @Test
    void securityContextAndLimitsReachTheContainer() throws Exception {
        Pod locked = ready(run("locked", b -> b.editSpec().withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false).withNewSecurityContext().withRunAsUser(65534L).withRunAsGroup(65534L)
                .withRunAsNonRoot(true).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .editFirstContainer().withNewSecurityContext().withReadOnlyRootFilesystem(true)
                .withAllowPrivilegeEscalation(false).withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext().withNewResources().addToLimits("memory", new Quantity("64Mi"))
                .addToLimits("cpu", new Quantity("500m")).endResources().endContainer().endSpec()));
        assertThat(sh(locked, "id -u; id -g")).isEqualTo("65534\n65534\n");
        String status = sh(locked, "grep -E 'CapEff|NoNewPrivs|Seccomp:' /proc/self/status");
        assertThat(status).contains("CapEff:\t0000000000000000").containsPattern("NoNewPrivs:\\s+1")
                .containsPattern("Seccomp:\\s+2");
        assertThat(exec(locked, "touch", "/x").code()).isNotZero();
        assertThat(sh(locked, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null "
                + "|| cat /sys/fs/cgroup/memory.max")).isEqualTo(64 * 1024 * 1024 + "\n");
        assertThat(sh(locked, "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"))
                .isEqualTo(KubeSim.DEFAULT_POD_PIDS_LIMIT + "\n");
        assertThat(exec(locked, "test", "-e", PodContainers.TOKEN_PATH + "/token").code()).as("no token").isNotZero();

        // Kubernetes' defaults, faithfully: unconfined seccomp, a service-account token, service links.
        client.services().resource(new ServiceBuilder().withNewMetadata().withName("db").endMetadata().withNewSpec()
                .withClusterIP("10.96.0.42").addNewPort().withPort(5432).endPort().endSpec().build()).create();
        Pod open = ready(run("open", b -> b));
        assertThat(sh(open, "grep Seccomp: /proc/self/status")).containsPattern("Seccomp:\\s+0");
        assertThat(sh(open, "cat " + PodContainers.TOKEN_PATH + "/namespace")).isEqualTo(KubeSim.DEFAULT_NAMESPACE);
        assertThat(sh(open, "echo $DB_SERVICE_HOST:$DB_SERVICE_PORT")).isEqualTo("10.96.0.42:5432\n");
        assertThat(sh(locked, "echo ${DB_SERVICE_HOST:-none}")).isEqualTo("none\n");
        client.services().withName("db").delete();
        delete(locked);
        delete(open);
    }

    @Test
    void runAsNonRootWithARootImageIsRefused() {
        Pod pod = run("nonroot", b -> b.editSpec().withNewSecurityContext().withRunAsNonRoot(true).endSecurityContext()
                .endSpec());
        ContainerStateWaiting waiting = waitingOf(pod);
        assertThat(waiting.getReason()).isEqualTo("CreateContainerConfigError");
        assertThat(waiting.getMessage()).contains("runAsNonRoot");
        delete(pod);
    }

    @Test
    void aMissingImageIsAnImagePullError() {
        Pod pod = run("noimage", b -> b.editSpec().editFirstContainer().withImage("agentkernel/nope:" + UUID.randomUUID())
                .endContainer().endSpec());
        assertThat(waitingOf(pod).getReason()).isEqualTo("ErrImagePull");
        delete(pod);
    }

    /**
     * An image of the simulated registry (not on the engine) runs as its local build, the default service-account
     * token volume included (filled from that build too); {@code imagePullPolicy: Never} does not pull it.
     */
    @Test
    void anImageOfTheSimulatedRegistryRunsAsItsLocalBuild() throws Exception {
        String image = "busybox:1.36";
        assertThat(KubeSim.DEFAULT_REGISTRY).containsEntry(image, IMAGE);
        Pod pulled = ready(run("pulled", b -> b.editSpec().editFirstContainer().withImage(image).endContainer()
                .endSpec()));
        assertThat(sh(pulled, "cat " + PodContainers.TOKEN_PATH + "/namespace")).isEqualTo(KubeSim.DEFAULT_NAMESPACE);
        delete(pulled);
        Pod never = run("neverpull", b -> b.editSpec().editFirstContainer().withImage(image)
                .withImagePullPolicy("Never").endContainer().endSpec());
        assertThat(waitingOf(never).getReason()).isEqualTo("ErrImageNeverPull");
        delete(never);
    }

    @Test
    void aDenyAllEgressPolicyLeavesOnlyLoopback() throws Exception {
        client.network().v1().networkPolicies().resource(new NetworkPolicyBuilder().withNewMetadata()
                .withName("deny-isolated").endMetadata().withNewSpec().withNewPodSelector()
                .addToMatchLabels("app", "isolated").endPodSelector().withPolicyTypes("Ingress", "Egress").endSpec()
                .build()).create();
        Pod isolated = ready(run("isolated", b -> b));
        Pod other = ready(run("bridged", b -> b));
        String ifaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '";
        assertThat(sh(isolated, ifaces)).isEqualTo("lo\n");
        assertThat(sh(other, ifaces)).contains("eth0");
        client.network().v1().networkPolicies().withName("deny-isolated").delete();
        delete(isolated);
        delete(other);
    }

    @Test
    void configMapFilesAndClaimsAreMounted() throws Exception {
        byte[] binary = {0, 1, 2, (byte) 255};
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("files").endMetadata()
                .addToData("hello.sh", "#!/bin/sh\necho hi from the map\n")
                .addToBinaryData("blob", Base64.getEncoder().encodeToString(binary)).build()).create();
        client.persistentVolumeClaims().resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("keep").endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();
        UnaryOperator<PodBuilder> volumes = b -> b.editSpec()
                .addNewVolume().withName("files").withNewConfigMap().withName("files").withDefaultMode(0555)
                .endConfigMap().endVolume()
                .addNewVolume().withName("keep").withNewPersistentVolumeClaim().withClaimName("keep")
                .endPersistentVolumeClaim().endVolume()
                .editFirstContainer().withNewSecurityContext().withRunAsUser(65534L).endSecurityContext()
                .addNewVolumeMount().withName("files").withMountPath("/files").endVolumeMount()
                .addNewVolumeMount().withName("keep").withMountPath("/keep").endVolumeMount().endContainer().endSpec();
        Pod first = ready(run("vols", volumes));
        assertThat(client.persistentVolumeClaims().withName("keep").get().getStatus().getPhase()).isEqualTo("Bound");
        assertThat(sh(first, "/files/hello.sh")).isEqualTo("hi from the map\n");
        assertThat(sh(first, "od -An -tu1 /files/blob | tr -s ' '")).isEqualTo(" 0 1 2 255\n");
        assertThat(exec(first, "touch", "/files/new").code()).as("configMap volumes are read-only").isNotZero();
        assertThat(exec(first, "sh", "-c", "echo kept > /keep/file").code()).isZero();
        delete(first);

        Pod second = ready(run("vols", volumes));
        assertThat(sh(second, "cat /keep/file")).isEqualTo("kept\n");
        delete(second);
        String claimUid = client.persistentVolumeClaims().withName("keep").get().getMetadata().getUid();
        client.persistentVolumeClaims().withName("keep").delete();
        client.configMaps().withName("files").delete();
        waitUntil(() -> docker.listVolumesCmd().withFilter("name", List.of(claimUid)).exec().getVolumes() == null
                || docker.listVolumesCmd().withFilter("name", List.of(claimUid)).exec().getVolumes().isEmpty());
    }

    @Test
    void aMainProcessThatEndsEndsThePod() {
        Pod pod = run("ends", b -> b.editSpec().editFirstContainer().withCommand("sh", "-c", "sleep 1; exit 4")
                .endContainer().endSpec());
        Pod done = client.pods().withName(pod.getMetadata().getName()).waitUntilCondition(p -> p != null
                && p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()), 60, TimeUnit.SECONDS);
        assertThat(done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode()).isEqualTo(4);
        delete(pod);
    }

    ContainerStateWaiting waitingOf(Pod pod) {
        Pod p = client.pods().withName(pod.getMetadata().getName()).waitUntilCondition(x -> x != null
                && x.getStatus() != null && x.getStatus().getContainerStatuses() != null
                && !x.getStatus().getContainerStatuses().isEmpty()
                && x.getStatus().getContainerStatuses().get(0).getState().getWaiting() != null, 60, TimeUnit.SECONDS);
        return p.getStatus().getContainerStatuses().get(0).getState().getWaiting();
    }

    void waitGone(String containerId) {
        waitUntil(() -> docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(containerId)).exec().isEmpty());
    }

    static void waitUntil(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String readLine(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
