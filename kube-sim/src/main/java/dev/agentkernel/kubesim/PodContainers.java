package dev.agentkernel.kubesim;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a kubelet with a Docker runtime would make of a pod's one container: the one place where pod fields become
 * Docker settings. What the runtime can do is honoured (user and groups, read-only root, capabilities,
 * no-new-privileges, seccomp, privileged, CPU and memory limits, the node's pod pids limit, volumes); a pod that asks
 * for something the simulator cannot do is refused with {@code CreateContainerConfigError}, never silently run.
 */
final class PodContainers {
    /** Where a pod's service-account token is mounted unless {@code automountServiceAccountToken: false}. */
    static final String TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

    private PodContainers() {
    }

    /** The pod cannot be run as asked: {@code reason} is the waiting reason the kubelet reports. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String reason;

        Refused(String reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** What the kubelet knows beyond the pod: node settings and the volumes it prepared. */
    interface Node {
        /** The node's {@code podPidsLimit}; 0 for none. */
        long podPidsLimit();

        /** CPUs of the node; Docker refuses a CPU limit above it. */
        int cpus();

        /** The user the image runs as when the pod does not say (Docker's {@code Config.User}), "" for root. */
        String imageUser(String image);

        /** Docker network mode for the pod: {@code none} when a NetworkPolicy denies all its egress. */
        String networkMode(Pod pod);

        /** Extra environment (service links). */
        Map<String, String> serviceEnv(Pod pod);

        /** The Docker volume holding a configMap's files, a claim's storage, or the service-account token. */
        String volume(Pod pod, Volume volume);

        String tokenVolume(Pod pod);
    }

    static CreateContainerCmd configure(CreateContainerCmd cmd, Pod pod, Node node) {
        PodSpec spec = pod.getSpec();
        if (spec.getContainers().size() != 1) {
            throw new Refused("CreateContainerConfigError", "kubesim runs pods of exactly one container");
        }
        if (spec.getInitContainers() != null && !spec.getInitContainers().isEmpty()) {
            throw new Refused("CreateContainerConfigError", "kubesim does not run init containers");
        }
        if (Boolean.TRUE.equals(spec.getShareProcessNamespace()) || Boolean.TRUE.equals(spec.getHostPID())
                || Boolean.TRUE.equals(spec.getHostNetwork()) || Boolean.TRUE.equals(spec.getHostIPC())) {
            throw new Refused("CreateContainerConfigError", "kubesim does not share namespaces with the node");
        }
        Container c = spec.getContainers().get(0);
        PodSecurityContext podSc = Objects.requireNonNullElseGet(spec.getSecurityContext(), PodSecurityContext::new);
        SecurityContext sc = Objects.requireNonNullElseGet(c.getSecurityContext(), SecurityContext::new);

        if (c.getCommand() != null && !c.getCommand().isEmpty()) {
            cmd.withEntrypoint(c.getCommand());
            cmd.withCmd(c.getArgs() == null ? List.of() : c.getArgs());
        } else if (c.getArgs() != null && !c.getArgs().isEmpty()) {
            cmd.withCmd(c.getArgs());
        }
        cmd.withEnv(env(pod, c, node));
        if (c.getWorkingDir() != null && !c.getWorkingDir().isEmpty()) {
            cmd.withWorkingDir(c.getWorkingDir());
        }
        boolean stdin = Boolean.TRUE.equals(c.getStdin());
        cmd.withStdinOpen(stdin).withStdInOnce(Boolean.TRUE.equals(c.getStdinOnce())).withAttachStdin(stdin)
                .withTty(Boolean.TRUE.equals(c.getTty()));
        cmd.withHostName(hostname(pod.getMetadata().getName()));

        Long uid = first(sc.getRunAsUser(), podSc.getRunAsUser());
        Long gid = first(sc.getRunAsGroup(), podSc.getRunAsGroup());
        boolean nonRoot = Boolean.TRUE.equals(first(sc.getRunAsNonRoot(), podSc.getRunAsNonRoot()));
        if (nonRoot && (uid == null ? isRoot(node.imageUser(c.getImage())) : uid == 0)) {
            throw new Refused("CreateContainerConfigError", "container has runAsNonRoot and image will run as root");
        }
        if (uid != null) {
            cmd.withUser(uid + (gid != null ? ":" + gid : ""));
        }

        HostConfig hc = HostConfig.newHostConfig()
                .withNetworkMode(node.networkMode(pod))
                .withInit(false)
                .withPrivileged(Boolean.TRUE.equals(sc.getPrivileged()))
                .withReadonlyRootfs(Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem()));
        List<String> groups = new ArrayList<>();
        if (podSc.getFsGroup() != null) {
            groups.add(podSc.getFsGroup().toString());
        }
        if (podSc.getSupplementalGroups() != null) {
            podSc.getSupplementalGroups().forEach(g -> groups.add(g.toString()));
        }
        if (!groups.isEmpty()) {
            hc.withGroupAdd(groups);
        }
        Capabilities caps = sc.getCapabilities();
        if (caps != null && caps.getDrop() != null && !caps.getDrop().isEmpty()) {
            hc.withCapDrop(caps.getDrop().stream().map(PodContainers::capability).toArray(Capability[]::new));
        }
        if (caps != null && caps.getAdd() != null && !caps.getAdd().isEmpty()) {
            hc.withCapAdd(caps.getAdd().stream().map(PodContainers::capability).toArray(Capability[]::new));
        }
        List<String> securityOpts = new ArrayList<>();
        if (Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
            securityOpts.add("no-new-privileges:true");
        }
        // A kubelet runs containers unconfined unless the pod asks for a profile (seccompDefault is off by
        // default); Docker's own default profile is what RuntimeDefault means here.
        SeccompProfile seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile() : podSc.getSeccompProfile();
        String seccompType = seccomp == null ? "Unconfined" : seccomp.getType();
        switch (seccompType) {
            case "RuntimeDefault" -> {
                // Docker's default profile applies
            }
            case "Unconfined" -> securityOpts.add("seccomp=unconfined");
            default -> throw new Refused("CreateContainerConfigError", "kubesim supports the seccomp profiles "
                    + "RuntimeDefault and Unconfined, not " + seccompType);
        }
        hc.withSecurityOpts(securityOpts);

        Map<String, Quantity> limits = c.getResources() == null || c.getResources().getLimits() == null ? Map.of()
                : c.getResources().getLimits();
        if (limits.containsKey("memory")) {
            long bytes = Quantity.getAmountInBytes(limits.get("memory")).longValue();
            hc.withMemory(bytes).withMemorySwap(bytes);
        }
        if (limits.containsKey("cpu")) {
            BigDecimal cpus = Quantity.getAmountInBytes(limits.get("cpu"));
            long nano = cpus.multiply(BigDecimal.valueOf(1_000_000_000L)).longValue();
            hc.withNanoCPUs(node.cpus() > 0 ? Math.min(nano, node.cpus() * 1_000_000_000L) : nano);
        }
        if (node.podPidsLimit() > 0) {
            hc.withPidsLimit(node.podPidsLimit());
        }
        volumes(pod, c, node, hc);
        return cmd.withHostConfig(hc);
    }

    private static void volumes(Pod pod, Container c, Node node, HostConfig hc) {
        Map<String, Volume> byName = new LinkedHashMap<>();
        if (pod.getSpec().getVolumes() != null) {
            pod.getSpec().getVolumes().forEach(v -> byName.put(v.getName(), v));
        }
        List<Mount> mounts = new ArrayList<>();
        Map<String, String> tmpfs = new LinkedHashMap<>();
        List<String> mountedEmptyDirs = new ArrayList<>();
        for (VolumeMount vm : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            Volume v = byName.get(vm.getName());
            if (v == null) {
                throw new Refused("CreateContainerConfigError", "volume " + vm.getName() + " is not in the pod");
            }
            if (vm.getSubPath() != null && !vm.getSubPath().isEmpty()) {
                throw new Refused("CreateContainerConfigError", "kubesim does not mount subPaths");
            }
            boolean ro = Boolean.TRUE.equals(vm.getReadOnly());
            if (v.getEmptyDir() != null) {
                // A tmpfs per mount: Docker cannot share one between paths, so an emptyDir is mounted once.
                if (mountedEmptyDirs.contains(v.getName())) {
                    throw new Refused("CreateContainerConfigError", "kubesim mounts an emptyDir once");
                }
                mountedEmptyDirs.add(v.getName());
                String size = v.getEmptyDir().getSizeLimit() == null ? ""
                        : ",size=" + Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit()).longValue();
                tmpfs.put(vm.getMountPath(), (ro ? "ro" : "rw") + ",nosuid,nodev,mode=0777" + size);
            } else if (v.getConfigMap() != null || v.getPersistentVolumeClaim() != null) {
                boolean claimRo = v.getPersistentVolumeClaim() != null
                        && Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly());
                // configMap volumes are always read-only, as a kubelet mounts them
                mounts.add(SimVolumes.mount(node.volume(pod, v), vm.getMountPath(),
                        ro || claimRo || v.getConfigMap() != null));
            } else {
                throw new Refused("CreateContainerConfigError", "kubesim supports emptyDir, configMap and "
                        + "persistentVolumeClaim volumes only (volume " + v.getName() + ")");
            }
        }
        if (!Boolean.FALSE.equals(pod.getSpec().getAutomountServiceAccountToken())) {
            mounts.add(SimVolumes.mount(node.tokenVolume(pod), TOKEN_PATH, true));
        }
        hc.withMounts(mounts);
        if (!tmpfs.isEmpty()) {
            hc.withTmpFs(tmpfs);
        }
    }

    private static List<String> env(Pod pod, Container c, Node node) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        env.put("KUBERNETES_SERVICE_PORT", "443");
        if (!Boolean.FALSE.equals(pod.getSpec().getEnableServiceLinks())) {
            env.putAll(node.serviceEnv(pod));
        }
        env.put("HOSTNAME", hostname(pod.getMetadata().getName()));
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
            if (e.getValueFrom() != null) {
                throw new Refused("CreateContainerConfigError", "kubesim supports plain env values only (" + e.getName() + ")");
            }
            env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
        }
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static Capability capability(String name) {
        try {
            return Capability.valueOf(name.startsWith("CAP_") ? name.substring(4) : name);
        } catch (IllegalArgumentException e) {
            throw new Refused("CreateContainerConfigError", "unknown capability " + name);
        }
    }

    static String hostname(String podName) {
        return podName.length() <= 63 ? podName : podName.substring(0, 63);
    }

    private static boolean isRoot(String user) {
        return user == null || user.isEmpty() || user.equals("root") || user.equals("0") || user.startsWith("0:")
                || user.startsWith("root:");
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
