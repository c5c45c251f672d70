package dev.agentkernel.kubesim;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerNetwork;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.mockwebserver.http.MockResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The simulated node: runs every pod of the simulated API server as one container on the local Docker engine and
 * keeps the pod's status true to it (Pending with a waiting reason, Running and Ready, or terminated with the exit
 * code), removes the container when the pod is deleted, binds claims, and tells {@link KubeletDispatcher} which
 * container serves a pod's exec and attach.
 *
 * <p>Pods are followed with an informer; work on one pod is serialised (creation, then deletion), different pods
 * proceed in parallel. A pass every {@link #PASS_INTERVAL_MS} ms reconciles what the events missed: exited
 * containers, containers of vanished pods, pods still waiting for an image or a claim, storage of deleted claims.
 * Containers and volumes carry {@link KubeSim#LABEL} with this simulator's id.
 */
final class SimKubelet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SimKubelet.class);
    static final String NODE_NAME = "kubesim-node";
    static final String UID_LABEL = KubeSim.LABEL + ".pod-uid";
    static final String POD_LABEL = KubeSim.LABEL + ".pod";
    private static final long PASS_INTERVAL_MS = 500;

    private final KubernetesClient client;
    private final DockerClient docker;
    private final String simId;
    private final long podPidsLimit;
    private final Map<String, String> registry;
    private final Map<String, String> labels;
    private final SimVolumes volumes;
    private final ExecutorService workers = Executors.newFixedThreadPool(4, daemon("kubesim-kubelet"));
    private final ScheduledExecutorService passes = Executors.newSingleThreadScheduledExecutor(daemon("kubesim-pass"));
    private final Map<String, CompletableFuture<Void>> chains = new ConcurrentHashMap<>();
    /** pod uid -> container id, for pods whose container this kubelet made. */
    private final Map<String, String> containers = new ConcurrentHashMap<>();
    /** pod uids waiting for something (an image, a claim) before their container can be made. */
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private volatile SharedIndexInformer<Pod> pods;
    private volatile int cpus;

    SimKubelet(KubernetesClient client, DockerClient docker, String simId, long podPidsLimit,
               Map<String, String> registry) {
        this.client = client;
        this.docker = docker;
        this.simId = simId;
        this.podPidsLimit = podPidsLimit;
        this.registry = registry;
        this.labels = Map.of(KubeSim.LABEL, simId, KubeSim.LABEL + ".pid", Long.toString(ProcessHandle.current().pid()));
        this.volumes = new SimVolumes(docker, labels);
    }

    void start() {
        Integer n = docker.infoCmd().exec().getNCPU();
        cpus = n == null ? 0 : n;
        pods = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                serially(pod, () -> startPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                        pod.getMetadata().getUid()));
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
                // Mostly our own status writes (a spec change of a running pod is not something a kubelet acts on);
                // but a pod deleted and made again under the same name may come as one update with a new uid.
                if (!before.getMetadata().getUid().equals(after.getMetadata().getUid())) {
                    onDelete(before, false);
                    onAdd(after);
                }
            }

            @Override
            public void onDelete(Pod pod, boolean unknownFinalState) {
                serially(pod, () -> removeContainer(pod.getMetadata().getUid()));
            }
        });
        informers.add(pods);
        informers.add(client.persistentVolumeClaims().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim pvc) {
                workers.execute(() -> bind(pvc));
            }

            @Override
            public void onUpdate(PersistentVolumeClaim before, PersistentVolumeClaim after) {
            }

            @Override
            public void onDelete(PersistentVolumeClaim pvc, boolean unknownFinalState) {
                workers.execute(() -> volumes.remove(claimVolume(pvc.getMetadata().getUid())));
            }
        }));
        passes.scheduleWithFixedDelay(this::pass, PASS_INTERVAL_MS, PASS_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** The container that serves a pod's exec or attach, or the error the API server would answer with. */
    record Target(String containerId, MockResponse error) {
    }

    /**
     * Runs on the API server's event loop (it answers the upgrade request): it must not call the API server itself,
     * whose answer would need that same loop. The informer's cache and the engine are asked instead.
     */
    Target target(String namespace, String podName, String container) {
        Pod pod = pods.getIndexer().getByKey(namespace + "/" + podName);
        String id = pod == null ? null : containers.get(pod.getMetadata().getUid());
        if (pod == null) {
            // the cache may lag behind a pod made again under the same name: the engine knows its container
            id = docker.listContainersCmd().withLabelFilter(Map.of(KubeSim.LABEL, simId, POD_LABEL,
                    namespace + "/" + podName)).exec().stream().map(c -> c.getId()).findFirst().orElse(null);
            if (id == null) {
                return new Target(null, Statuses.error(404, "NotFound", "pods \"" + podName + "\" not found"));
            }
        } else {
            String main = pod.getSpec().getContainers().get(0).getName();
            if (container != null && !container.equals(main)) {
                return new Target(null, Statuses.error(400, "BadRequest", "container " + container
                        + " is not valid for pod " + podName));
            }
        }
        if (id == null || !running(id)) {
            return new Target(null, Statuses.error(400, "BadRequest", "container of pod " + podName
                    + " is not running"));
        }
        return new Target(id, null);
    }

    // ---- pods -------------------------------------------------------------------------------------------------

    private void serially(Pod pod, Runnable work) {
        String uid = pod.getMetadata().getUid();
        chains.compute(uid, (k, prev) -> (prev == null ? CompletableFuture.<Void>completedFuture(null) : prev)
                .thenRunAsync(() -> {
                    try {
                        work.run();
                    } catch (RuntimeException e) {
                        LOG.warn("kubesim: pod {}/{}: {}", pod.getMetadata().getNamespace(),
                                pod.getMetadata().getName(), e.toString());
                    }
                }, workers));
    }

    private void startPod(String namespace, String name, String uid) {
        Pod pod = client.pods().inNamespace(namespace).withName(name).get();
        if (pod == null || !uid.equals(pod.getMetadata().getUid()) || containers.containsKey(uid)) {
            waiting.remove(uid);
            return;
        }
        String image = localImage(pod.getSpec().getContainers().get(0));
        String missing = missingClaim(pod);
        if (missing != null) {
            waiting.add(uid);
            writeStatus(pod, "Pending", waitingState(pod, "ContainerCreating", "persistentvolumeclaim \"" + missing
                    + "\" not found"), false);
            return;
        }
        if (image == null) {
            waiting.add(uid);
            io.fabric8.kubernetes.api.model.Container c = pod.getSpec().getContainers().get(0);
            String reason = "Never".equals(c.getImagePullPolicy()) ? "ErrImageNeverPull" : "ErrImagePull";
            writeStatus(pod, "Pending", waitingState(pod, reason, "kubesim: image \"" + c.getImage()
                    + "\" is neither on the local Docker engine nor in the simulated registry"), false);
            return;
        }
        waiting.remove(uid);
        String id;
        try {
            CreateContainerCmd cmd = docker.createContainerCmd(image)
                    .withName("kubesim-" + namespace + "-" + name + "-" + uid) // the mock's uids differ only at the end
                    .withLabels(containerLabels(pod));
            PodContainers.configure(cmd, pod, node());
            id = cmd.exec().getId();
        } catch (PodContainers.Refused e) {
            writeStatus(pod, "Pending", waitingState(pod, e.reason, e.getMessage()), false);
            return;
        }
        containers.put(uid, id);
        try {
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            writeStatus(pod, "Pending", waitingState(pod, "RunContainerError", e.getMessage()), false);
            return;
        }
        InspectContainerResponse c = docker.inspectContainerCmd(id).exec();
        Pod now = client.pods().inNamespace(namespace).withName(name).get();
        if (now == null || !uid.equals(now.getMetadata().getUid())) {
            removeContainer(uid); // deleted while we made it
            return;
        }
        if (!Boolean.TRUE.equals(c.getState().getRunning())) {
            terminated(now, c); // ended at once (e.g. a missing executable)
            return;
        }
        String ip = ipOf(c);
        ContainerStatus status = baseStatus(now, id).withReady(true).withStarted(true)
                .withNewState().withNewRunning().withStartedAt(c.getState().getStartedAt()).endRunning().endState()
                .build();
        client.pods().inNamespace(namespace).withName(name).edit(p -> new PodBuilder(p).editSpec()
                .withNodeName(NODE_NAME).endSpec().build());
        client.pods().inNamespace(namespace).withName(name).editStatus(p -> new PodBuilder(p).editOrNewStatus()
                .withPhase("Running")
                .withHostIP("127.0.0.1")
                .withPodIP(ip)
                .withStartTime(now())
                .withConditions(conditions(true))
                .withContainerStatuses(status)
                .endStatus().build());
    }

    private ContainerStatus waitingState(Pod pod, String reason, String message) {
        return baseStatus(pod, null).withReady(false).withStarted(false).withNewState().withNewWaiting()
                .withReason(reason).withMessage(message).endWaiting().endState().build();
    }

    private static ContainerStatusBuilder baseStatus(Pod pod, String containerId) {
        var c = pod.getSpec().getContainers().get(0);
        return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage())
                .withContainerID(containerId == null ? null : "docker://" + containerId).withRestartCount(0);
    }

    private void writeStatus(Pod pod, String phase, ContainerStatus status, boolean ready) {
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .editStatus(p -> new PodBuilder(p).editOrNewStatus().withPhase(phase)
                            .withConditions(conditions(ready)).withContainerStatuses(status).endStatus().build());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** The container ended: the pod's phase follows its restart policy (a kubelet restarts Always pods). */
    private void terminated(Pod pod, InspectContainerResponse c) {
        String policy = Objects.requireNonNullElse(pod.getSpec().getRestartPolicy(), "Always");
        Long code = c.getState().getExitCodeLong();
        int exit = code == null ? -1 : code.intValue();
        if (policy.equals("Always") || (policy.equals("OnFailure") && exit != 0)) {
            try {
                docker.startContainerCmd(c.getId()).exec();
                return;
            } catch (RuntimeException e) {
                LOG.debug("kubesim: restart of {} failed: {}", pod.getMetadata().getName(), e.getMessage());
            }
        }
        Boolean oom = c.getState().getOOMKilled();
        ContainerStatus status = baseStatus(pod, c.getId()).withReady(false).withStarted(false)
                .withNewState().withNewTerminated().withExitCode(exit)
                .withReason(Boolean.TRUE.equals(oom) ? "OOMKilled" : exit == 0 ? "Completed" : "Error")
                .withStartedAt(c.getState().getStartedAt()).withFinishedAt(c.getState().getFinishedAt())
                .endTerminated().endState().build();
        writeStatus(pod, exit == 0 ? "Succeeded" : "Failed", status, false);
    }

    private void removeContainer(String uid) {
        waiting.remove(uid);
        String id = containers.remove(uid);
        if (id != null) {
            removeQuietly(id);
        }
        chains.remove(uid);
    }

    /** Reconciles what events do not tell: exits, leftovers, waiting pods, storage of deleted claims. */
    private void pass() {
        try {
            Map<String, Pod> byUid = new LinkedHashMap<>();
            // from the API server, not the informer's cache: the mock's watch may fold a delete and a create of the
            // same name into one event, or lose it
            for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
                byUid.put(p.getMetadata().getUid(), p);
            }
            for (var c : docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(KubeSim.LABEL, simId)).exec()) {
                String uid = c.getLabels().get(UID_LABEL);
                if (uid == null) {
                    continue; // a volume helper
                }
                Pod pod = byUid.get(uid);
                if (pod == null) {
                    Pod p = new PodBuilder().withNewMetadata().withUid(uid).endMetadata().build();
                    serially(p, () -> removeContainer(uid));
                } else if (!"running".equals(c.getState()) && !"created".equals(c.getState())
                        && "Running".equals(pod.getStatus() == null ? null : pod.getStatus().getPhase())) {
                    serially(pod, () -> {
                        try {
                            terminated(pod, docker.inspectContainerCmd(c.getId()).exec());
                        } catch (NotFoundException gone) {
                            // removed meanwhile
                        }
                    });
                }
            }
            volumes.retry();
            for (Pod pod : byUid.values()) {
                // a pod whose event we missed: never looked at yet
                String uid = pod.getMetadata().getUid();
                if (pod.getStatus() == null || pod.getStatus().getPhase() == null) {
                    if (!containers.containsKey(uid) && !waiting.contains(uid) && !chains.containsKey(uid)) {
                        serially(pod, () -> startPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid));
                    }
                }
            }
            for (String uid : List.copyOf(waiting)) {
                Pod pod = byUid.get(uid);
                if (pod == null) {
                    waiting.remove(uid);
                } else {
                    serially(pod, () -> startPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid));
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("kubesim: pass failed: {}", e.toString());
        }
    }

    // ---- what a pod needs -------------------------------------------------------------------------------------

    private PodContainers.Node node() {
        return new PodContainers.Node() {
            @Override
            public long podPidsLimit() {
                return podPidsLimit;
            }

            @Override
            public int cpus() {
                return cpus;
            }

            @Override
            public String imageUser(String image) {
                String local = imagePresent(image) ? image : registry.getOrDefault(image, image);
                var config = docker.inspectImageCmd(local).exec().getConfig();
                return config == null || config.getUser() == null ? "" : config.getUser();
            }

            @Override
            public String networkMode(Pod pod) {
                return egressDenied(pod) ? "none" : "bridge";
            }

            @Override
            public Map<String, String> serviceEnv(Pod pod) {
                Map<String, String> env = new LinkedHashMap<>();
                for (Service s : client.services().inNamespace(pod.getMetadata().getNamespace()).list().getItems()) {
                    String prefix = s.getMetadata().getName().toUpperCase(Locale.ROOT).replace('-', '_');
                    env.put(prefix + "_SERVICE_HOST", Objects.requireNonNullElse(s.getSpec().getClusterIP(), "10.96.0.10"));
                    if (s.getSpec().getPorts() != null && !s.getSpec().getPorts().isEmpty()) {
                        env.put(prefix + "_SERVICE_PORT", s.getSpec().getPorts().get(0).getPort().toString());
                    }
                }
                return env;
            }

            @Override
            public String volume(Pod pod, Volume v) {
                String image = localImage(pod.getSpec().getContainers().get(0));
                if (v.getConfigMap() != null) {
                    return configMapVolume(pod, v, image);
                }
                PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(pod.getMetadata().getNamespace())
                        .withName(v.getPersistentVolumeClaim().getClaimName()).get();
                if (pvc == null) {
                    throw new PodContainers.Refused("CreateContainerConfigError", "persistentvolumeclaim \""
                            + v.getPersistentVolumeClaim().getClaimName() + "\" not found");
                }
                return volumes.claim(claimVolume(pvc.getMetadata().getUid()), image);
            }

            @Override
            public String tokenVolume(Pod pod) {
                byte[] token = ("kubesim-token-of-" + pod.getMetadata().getNamespace()).getBytes(StandardCharsets.UTF_8);
                return volumes.filled("kubesim-sa-" + simId + "-" + hash(pod.getMetadata().getNamespace()),
                        localImage(pod.getSpec().getContainers().get(0)), List.of(
                                new SimVolumes.FileEntry("token", token, 0644),
                                new SimVolumes.FileEntry("namespace", pod.getMetadata().getNamespace()
                                        .getBytes(StandardCharsets.UTF_8), 0644)));
            }
        };
    }

    private String configMapVolume(Pod pod, Volume v, String image) {
        String ns = pod.getMetadata().getNamespace();
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(v.getConfigMap().getName()).get();
        if (cm == null) {
            throw new PodContainers.Refused("CreateContainerConfigError", "configmap \"" + v.getConfigMap().getName()
                    + "\" not found");
        }
        int mode = v.getConfigMap().getDefaultMode() == null ? 0644 : v.getConfigMap().getDefaultMode();
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (cm.getData() != null) {
            cm.getData().forEach((k, s) -> data.put(k, s.getBytes(StandardCharsets.UTF_8)));
        }
        if (cm.getBinaryData() != null) {
            cm.getBinaryData().forEach((k, s) -> data.put(k, Base64.getDecoder().decode(s)));
        }
        List<SimVolumes.FileEntry> files = new ArrayList<>();
        if (v.getConfigMap().getItems() == null || v.getConfigMap().getItems().isEmpty()) {
            data.forEach((k, b) -> files.add(new SimVolumes.FileEntry(k, b, mode)));
        } else {
            for (KeyToPath item : v.getConfigMap().getItems()) {
                byte[] b = data.get(item.getKey());
                if (b == null) {
                    throw new PodContainers.Refused("CreateContainerConfigError", "configmap key " + item.getKey()
                            + " not found");
                }
                files.add(new SimVolumes.FileEntry(item.getPath(), b, item.getMode() == null ? mode : item.getMode()));
            }
        }
        String name = "kubesim-cm-" + simId + "-" + hash(cm.getMetadata().getUid() + "/"
                + cm.getMetadata().getResourceVersion() + "/" + v.getConfigMap().getItems() + "/" + mode);
        return volumes.filled(name, image, files);
    }

    /**
     * Whether a NetworkPolicy that selects the pod isolates its egress and allows nothing: then the container gets
     * no network at all. (Finer policies are not modelled: the pod keeps the engine's bridge network.)
     */
    private boolean egressDenied(Pod pod) {
        boolean isolated = false;
        for (NetworkPolicy np : client.network().v1().networkPolicies().inNamespace(pod.getMetadata().getNamespace())
                .list().getItems()) {
            if (np.getSpec() == null || !selects(np.getSpec().getPodSelector(), pod.getMetadata().getLabels())) {
                continue;
            }
            List<String> types = np.getSpec().getPolicyTypes();
            boolean egress = types != null && types.contains("Egress");
            if (!egress) {
                continue;
            }
            if (np.getSpec().getEgress() != null && !np.getSpec().getEgress().isEmpty()) {
                return false; // some egress is allowed by this policy
            }
            isolated = true;
        }
        return isolated;
    }

    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector == null) {
            return true;
        }
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = l.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && values.contains(v);
                    case "NotIn" -> v == null || !values.contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private String missingClaim(Pod pod) {
        if (pod.getSpec().getVolumes() == null) {
            return null;
        }
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getPersistentVolumeClaim() != null && client.persistentVolumeClaims()
                    .inNamespace(pod.getMetadata().getNamespace()).withName(v.getPersistentVolumeClaim().getClaimName())
                    .get() == null) {
                return v.getPersistentVolumeClaim().getClaimName();
            }
        }
        return null;
    }

    private void bind(PersistentVolumeClaim pvc) {
        Quantity size = pvc.getSpec() != null && pvc.getSpec().getResources() != null
                && pvc.getSpec().getResources().getRequests() != null
                ? pvc.getSpec().getResources().getRequests().get("storage") : null;
        try {
            client.persistentVolumeClaims().inNamespace(pvc.getMetadata().getNamespace())
                    .withName(pvc.getMetadata().getName())
                    .editStatus(p -> new PersistentVolumeClaimBuilder(p).editOrNewStatus().withPhase("Bound")
                            .withAccessModes(p.getSpec().getAccessModes())
                            .withCapacity(size == null ? Map.of() : Map.of("storage", size)).endStatus().build());
        } catch (KubernetesClientException e) {
            LOG.debug("kubesim: binding {} failed: {}", pvc.getMetadata().getName(), e.getMessage());
        }
    }

    private String claimVolume(String claimUid) {
        return "kubesim-pvc-" + simId + "-" + claimUid;
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Map<String, String> containerLabels(Pod pod) {
        Map<String, String> l = new LinkedHashMap<>(labels);
        l.put(UID_LABEL, pod.getMetadata().getUid());
        l.put(POD_LABEL, pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
        return l;
    }

    /**
     * The local image a container's image runs as: itself when the engine has it, else the simulated registry's
     * image for it (a pull; not with {@code imagePullPolicy: Never}); null when neither.
     */
    private String localImage(io.fabric8.kubernetes.api.model.Container c) {
        if (imagePresent(c.getImage())) {
            return c.getImage();
        }
        String pulled = "Never".equals(c.getImagePullPolicy()) ? null : registry.get(c.getImage());
        return pulled != null && imagePresent(pulled) ? pulled : null;
    }

    private boolean imagePresent(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private boolean running(String containerId) {
        try {
            return Boolean.TRUE.equals(docker.inspectContainerCmd(containerId).exec().getState().getRunning());
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static String ipOf(InspectContainerResponse c) {
        if (c.getNetworkSettings() == null || c.getNetworkSettings().getNetworks() == null) {
            return null;
        }
        for (ContainerNetwork n : c.getNetworkSettings().getNetworks().values()) {
            if (n.getIpAddress() != null && !n.getIpAddress().isEmpty()) {
                return n.getIpAddress();
            }
        }
        return null;
    }

    private static List<PodCondition> conditions(boolean ready) {
        String now = now();
        String r = ready ? "True" : "False";
        return List.of(
                new PodConditionBuilder().withType("PodScheduled").withStatus("True").withLastTransitionTime(now).build(),
                new PodConditionBuilder().withType("Initialized").withStatus("True").withLastTransitionTime(now).build(),
                new PodConditionBuilder().withType("ContainersReady").withStatus(r).withLastTransitionTime(now).build(),
                new PodConditionBuilder().withType("Ready").withStatus(r).withLastTransitionTime(now).build());
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void removeQuietly(String containerId) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).exec();
        } catch (NotFoundException | ConflictException ignored) {
            // gone or going
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops following the API server and removes every container and volume of this simulator. */
    @Override
    public void close() {
        passes.shutdownNow();
        informers.forEach(SharedIndexInformer::close);
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        KubeSim.removeEverythingLabelled(docker, Map.of(KubeSim.LABEL, simId));
    }
}
