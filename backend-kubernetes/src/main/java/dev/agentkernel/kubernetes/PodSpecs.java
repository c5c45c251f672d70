package dev.agentkernel.kubernetes;

import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one place where a {@link SecurityProfile} and a sandbox's limits become a pod, for every kind of sandbox.
 *
 * <p>Every profile: all capabilities dropped (a profile's few are added back; {@code NET_RAW} never is),
 * {@code allowPrivilegeEscalation: false}, not privileged, seccomp {@code RuntimeDefault}, no service-account token,
 * no service links, no shared process namespace, {@code restartPolicy: Never} (a sandbox whose main process died is
 * broken, not restarted with its files gone), requests equal to limits (Guaranteed QoS: the scheduler reserves
 * what the sandbox may use). The restrictive profile adds a read-only root, uid/gid 65534 with
 * {@code runAsNonRoot}, and memory-backed writable {@code /tmp} and {@code /workspace} (a quarter of the memory
 * limit each, charged to the sandbox as on Docker). Network is not in the pod: the sandbox NetworkPolicies select
 * pods by their {@code agentkernel.dev/network} label ({@link NetworkPolicies}).
 *
 * <p>The agent: the pod's main process is the agent binary from a read-only configMap volume ({@link AgentDelivery}),
 * its stdin kept open so that it lives as init (replicas talk to session agents, {@link PodAgents}); without it,
 * {@code sleep infinity} and commands by pod exec.
 */
final class PodSpecs {
    static final String CONTAINER = "main";
    static final String WORKDIR = "/workspace";
    static final String AGENT_DIR = "/.agentkernel";
    static final long NOBODY = 65534;
    /** Docker's default capabilities, without NET_RAW: what the permissive profile keeps. */
    static final List<String> PERMISSIVE_CAPABILITIES = List.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER",
            "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    /** The agent gets SIGTERM on delete and ends at once; this only bounds a stuck one. */
    static final long GRACE_SECONDS = 2;

    private PodSpecs() {
    }

    /**
     * @param agent     the configMap holding the agent binary, or null to run {@code sleep infinity} (pod exec)
     * @param claim     the named sandbox's workspace claim, mounted at {@code /workspace}, or null
     */
    static Pod pod(SandboxSpec spec, ObjectMeta meta, KubernetesSettings settings, String agent, String claim) {
        SecurityProfile profile = spec.profile();
        Map<String, Quantity> resources = Map.of("cpu", new Quantity(Integer.toString(spec.vcpus())),
                "memory", new Quantity(spec.memoryMb() + "Mi"));
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        if (agent != null) {
            volumes.add(new VolumeBuilder().withName("agent").withNewConfigMap().withName(agent)
                    .withDefaultMode(0555).endConfigMap().build());
            mounts.add(mount("agent", AGENT_DIR, true));
        }
        if (profile.readOnlyRoot()) {
            Quantity tmpSize = new Quantity(Math.max(1, spec.memoryMb() / 4) + "Mi");
            volumes.add(memoryDir("tmp", tmpSize));
            mounts.add(mount("tmp", "/tmp", false));
            if (claim == null) {
                volumes.add(memoryDir("workspace", tmpSize));
            }
        }
        if (claim != null) {
            volumes.add(new VolumeBuilder().withName("workspace").withNewPersistentVolumeClaim().withClaimName(claim)
                    .endPersistentVolumeClaim().build());
        }
        if (claim != null || profile.readOnlyRoot()) {
            mounts.add(mount("workspace", WORKDIR, false));
        }
        List<String> add = profile == SecurityProfile.PERMISSIVE ? PERMISSIVE_CAPABILITIES
                : profile.addedCapabilities().stream().filter(c -> !c.equals("NET_RAW")).toList();
        SecurityContextBuilder sc = new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withReadOnlyRootFilesystem(profile.readOnlyRoot())
                .withNewCapabilities().withDrop("ALL").withAdd(add).endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile();
        if (profile.user() != null) {
            String[] ug = profile.user().split(":");
            sc.withRunAsUser(Long.parseLong(ug[0])).withRunAsGroup(Long.parseLong(ug[1])).withRunAsNonRoot(true);
        }
        List<EnvVar> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        ContainerBuilder container = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(spec.image())
                .withImagePullPolicy(settings.imagePullPolicy())
                .withEnv(env)
                .withStdin(agent != null)
                .withStdinOnce(false)
                .withTty(false)
                .withNewResources().withRequests(resources).withLimits(resources).endResources()
                .withSecurityContext(sc.build())
                .withVolumeMounts(mounts)
                .withTerminationMessagePolicy("FallbackToLogsOnError");
        if (agent != null) {
            container.withCommand(AgentDelivery.EXECUTABLE).withArgs(List.of());
        } else {
            container.withCommand("sleep", "infinity");
        }
        if (profile.readOnlyRoot()) {
            container.withWorkingDir(WORKDIR);
        }
        PodSpecBuilder pod = new PodSpecBuilder()
                .withContainers(container.build())
                .withVolumes(volumes)
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withShareProcessNamespace(false)
                .withHostNetwork(false).withHostPID(false).withHostIPC(false)
                .withTerminationGracePeriodSeconds(GRACE_SECONDS)
                .withNodeSelector(settings.nodeSelector())
                .withTolerations(settings.tolerations())
                .withImagePullSecrets(settings.imagePullSecrets().stream().map(LocalObjectReference::new).toList())
                .withNewSecurityContext()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                // group ownership of the workspace claim for the non-root profile
                .withFsGroup(profile.user() != null ? NOBODY : null)
                .endSecurityContext();
        String runtimeClass = settings.runtimeClasses().get(profile);
        if (runtimeClass != null) {
            pod.withRuntimeClassName(runtimeClass);
        }
        return new PodBuilder().withMetadata(meta).withSpec(pod.build()).build();
    }

    private static Volume memoryDir(String name, Quantity size) {
        return new VolumeBuilder().withName(name).withNewEmptyDir().withMedium("Memory").withSizeLimit(size)
                .endEmptyDir().build();
    }

    private static VolumeMount mount(String name, String path, boolean readOnly) {
        return new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(readOnly).build();
    }
}
