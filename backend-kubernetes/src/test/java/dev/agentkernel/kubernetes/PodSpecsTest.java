package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The profile mapping, field by field: what a pod of each profile may do. */
class PodSpecsTest {
    private static final KubernetesSettings SETTINGS = KubernetesSettings.from(Map.of(
            "kubernetes.runtime_class.restrictive", "gvisor", "kubernetes.tolerations", "sandbox=true:NoSchedule",
            "kubernetes.node_selector.agentkernel.dev/sandboxes", "true", "kubernetes.image_pull_secrets", "regcred"));

    private static Pod pod(SecurityProfile profile, SandboxKind kind, String claim) {
        SandboxSpec spec = new SandboxSpec("My_Box.1", "busybox:1.36", 2, 300, profile, Map.of("A", "b"), Map.of(),
                kind);
        ObjectMeta meta = SandboxMeta.of(SandboxMeta.podName(spec.name()), spec, "host/1/abc", Instant.EPOCH,
                SandboxMeta.VIA_AGENT, Map.of(), Map.of());
        return PodSpecs.pod(spec, meta, SETTINGS, "agentkernel-agent-x", claim);
    }

    @Test
    void everyProfileDropsEverythingAndNeverNetRaw() {
        for (SecurityProfile p : SecurityProfile.values()) {
            Pod pod = pod(p, SandboxKind.RUN, null);
            Container c = pod.getSpec().getContainers().get(0);
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).as(p.name()).containsExactly("ALL");
            assertThat(c.getSecurityContext().getCapabilities().getAdd()).as(p.name()).doesNotContain("NET_RAW",
                    "SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN");
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getPrivileged()).isFalse();
            assertThat(c.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
            assertThat(pod.getSpec().getEnableServiceLinks()).isFalse();
            assertThat(pod.getSpec().getShareProcessNamespace()).isFalse();
            assertThat(pod.getSpec().getHostNetwork()).isFalse();
            assertThat(pod.getSpec().getHostPID()).isFalse();
            assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
            assertThat(c.getResources().getLimits()).isEqualTo(c.getResources().getRequests())
                    .containsEntry("cpu", new Quantity("2")).containsEntry("memory", new Quantity("300Mi"));
            assertThat(c.getCommand()).containsExactly(AgentDelivery.EXECUTABLE);
            assertThat(c.getStdin()).isTrue();
            assertThat(c.getStdinOnce()).isFalse();
        }
        assertThat(pod(SecurityProfile.MODERATE, SandboxKind.RUN, null).getSpec().getContainers().get(0)
                .getSecurityContext().getCapabilities().getAdd())
                .containsExactlyElementsOf(SecurityProfile.MODERATE.addedCapabilities());
    }

    @Test
    void restrictiveIsNonRootReadOnlyWithMemoryBackedWritablePlacesAndItsRuntimeClass() {
        Pod pod = pod(SecurityProfile.RESTRICTIVE, SandboxKind.RUN, null);
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getSecurityContext().getRunAsUser()).isEqualTo(65534L);
        assertThat(c.getSecurityContext().getRunAsGroup()).isEqualTo(65534L);
        assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getAdd()).isEmpty();
        assertThat(c.getWorkingDir()).isEqualTo("/workspace");
        assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getEmptyDir() != null)
                .extracting(v -> v.getEmptyDir().getMedium() + " " + v.getEmptyDir().getSizeLimit())
                .containsExactly("Memory 75Mi", "Memory 75Mi");
        assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
        assertThat(pod.getMetadata().getLabels()).containsEntry(SandboxMeta.NETWORK, "none");
        assertThat(pod(SecurityProfile.MODERATE, SandboxKind.RUN, null).getMetadata().getLabels())
                .containsEntry(SandboxMeta.NETWORK, "egress");
        assertThat(pod(SecurityProfile.MODERATE, SandboxKind.RUN, null).getSpec().getRuntimeClassName()).isNull();
    }

    @Test
    void aNamedSandboxMountsItsClaimAtTheWorkspaceAndSchedulingSettingsApply() {
        Pod pod = pod(SecurityProfile.RESTRICTIVE, SandboxKind.NAMED, "agentkernel-ws-x");
        assertThat(pod.getSpec().getVolumes()).anyMatch(v -> v.getPersistentVolumeClaim() != null
                && v.getPersistentVolumeClaim().getClaimName().equals("agentkernel-ws-x"));
        assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
                .anyMatch(m -> m.getMountPath().equals("/workspace") && m.getName().equals("workspace"));
        assertThat(pod.getSpec().getSecurityContext().getFsGroup()).isEqualTo(65534L);
        assertThat(pod.getSpec().getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getKey() + "=" + t.getValue() + ":" + t.getEffect())
                        .isEqualTo("sandbox=true:NoSchedule"));
        assertThat(pod.getSpec().getNodeSelector()).containsEntry("agentkernel.dev/sandboxes", "true");
        assertThat(pod.getSpec().getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("regcred");
        assertThat(pod.getMetadata().getName()).isEqualTo(SandboxMeta.podName("My_Box.1")).matches("[a-z0-9-]+");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(SandboxMeta.NAME, "My_Box.1");
    }

    @Test
    void badSettingsNameTheKey() {
        assertThatThrownBy(() -> KubernetesSettings.from(Map.of("kubernetes.nmespace", "x")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("kubernetes.nmespace");
        assertThatThrownBy(() -> KubernetesSettings.from(Map.of("kubernetes.tolerations", "bad")))
                .hasMessageContaining("kubernetes.tolerations");
        assertThatThrownBy(() -> KubernetesSettings.from(Map.of("kubernetes.runtime_class.paranoid", "x")))
                .hasMessageContaining("kubernetes.runtime_class.paranoid");
        assertThatThrownBy(() -> KubernetesSettings.from(Map.of("kubernetes.namespace", "Not_Valid")))
                .hasMessageContaining("kubernetes.namespace");
    }
}
