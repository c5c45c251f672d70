package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;
import dev.agentkernel.core.Backend;
import dev.agentkernel.core.LeaseStore;
import dev.agentkernel.docker.agent.AgentClient;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.readiness.Readiness;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The Kubernetes backend: a sandbox is a pod ({@code agentkernel-<name>}) in one namespace, and everything about it
 * is in the API server ({@link SandboxMeta}): any replica of the server serves any sandbox, and a new replica sees
 * what earlier ones made. Thread-safe.
 *
 * <p>Named sandboxes keep their workspace: each has a PersistentVolumeClaim mounted at {@code /workspace}; stop
 * deletes the pod, start makes a new one on the same claim. The rest of the filesystem is the image's again after a
 * start, so the backend has {@link Capability#STOP_START} but not {@link Capability#STOP_KEEPS_FILES}. Temporary
 * and pool sandboxes are bare pods.
 *
 * <p>Commands and files go through the in-sandbox agent: the pod's PID 1 is the agent, and each replica talks to a
 * session agent of its own over the pod's exec websocket ({@link PodAgents}); the binary comes from a configMap
 * ({@link AgentDelivery}). With {@code exec = "pod-exec"}, or
 * in {@code auto} mode when the agent cannot be delivered or does not answer, the pod runs {@code sleep infinity}
 * and commands go through pod exec ({@link PodExec}).
 *
 * <p>What Kubernetes cannot promise is a missing capability: {@link Capability#PID_LIMIT} (a pod's pids limit is
 * the node's {@code podPidsLimit}, not the pod's), {@link Capability#SNAPSHOTS}, {@link Capability#VOLUMES}.
 * {@link Capability#NETWORK_ISOLATION} is by NetworkPolicy, which the cluster's network plugin must enforce.
 */
public final class KubernetesBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesBackend.class);
    public static final String ID = "kubernetes";
    /** Waiting reasons that will not resolve by waiting: the pod is given up at once. */
    private static final Set<String> HOPELESS = Set.of("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
            "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
            "CrashLoopBackOff");
    private static final Set<String> IMAGE_PROBLEMS = Set.of("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
            "InvalidImageName");
    private static final Duration GONE_TIMEOUT = Duration.ofSeconds(60);

    private final KubernetesClient client;
    private final String namespace;
    private final String instanceId;
    private final KubernetesSettings settings;
    private final AgentDelivery agent;
    private final PodAgents agents;
    private final PodExec podExec;
    private final KubernetesLeases leases;
    private final String policyProblem;

    KubernetesBackend(KubernetesClient client, String namespace, String instanceId, KubernetesSettings settings) {
        this.client = client;
        this.namespace = namespace;
        this.instanceId = instanceId;
        this.settings = settings;
        this.agent = new AgentDelivery(client, namespace);
        this.agents = new PodAgents(client, namespace);
        this.podExec = new PodExec(client, namespace);
        this.leases = new KubernetesLeases(client, namespace);
        if (settings.exec() == KubernetesSettings.ExecMode.AGENT && agent.unavailableReason() != null) {
            throw new AgentKernelException.BackendUnavailableException("kubernetes.exec=agent, but "
                    + agent.unavailableReason(), null);
        }
        this.policyProblem = NetworkPolicies.ensure(client, namespace, settings.egressDenyCidrs());
        if (policyProblem != null) {
            LOG.warn("{}; sandboxes without network cannot be made", policyProblem);
        }
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    public String namespace() {
        return namespace;
    }

    @Override
    public Set<Capability> capabilities() {
        Set<Capability> c = EnumSet.of(Capability.STOP_START, Capability.NETWORK_ISOLATION);
        if (usesAgent()) {
            c.add(Capability.AGENT_TRANSPORT);
            c.add(Capability.PTY);
            c.add(Capability.PORTS);
        }
        return c;
    }

    @Override
    public LeaseStore leases() {
        return leases;
    }

    private boolean usesAgent() {
        return settings.exec() != KubernetesSettings.ExecMode.POD_EXEC && agent.unavailableReason() == null;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        java.util.Objects.requireNonNull(spec.image(), "the image must be resolved before create");
        if (spec.profile().network() == SecurityProfile.Network.NONE && policyProblem != null) {
            throw new AgentKernelException.BackendUnavailableException("Sandbox '" + spec.name() + "' needs no "
                    + "network, but " + policyProblem, null);
        }
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String claim = null;
        if (spec.kind() == SandboxKind.NAMED) {
            claim = createClaim(spec, createdAt);
        }
        try {
            return startPod(spec, createdAt, claim);
        } catch (RuntimeException e) {
            if (claim != null) {
                deleteQuietly(() -> client.persistentVolumeClaims().inNamespace(namespace).withName(SandboxMeta
                        .claimName(spec.name())).delete());
            }
            throw e;
        }
    }

    /**
     * The claim of a new named sandbox: it is made first, so its name is the lock (a second create of the name
     * gets 409), and it records the spec for later starts.
     */
    private String createClaim(SandboxSpec spec, Instant createdAt) {
        String name = SandboxMeta.claimName(spec.name());
        ObjectMeta meta = SandboxMeta.of(name, spec, instanceId, createdAt, usesAgent() ? SandboxMeta.VIA_AGENT
                : SandboxMeta.VIA_POD_EXEC, settings.labels(), Map.of(SandboxMeta.ENV, Json.of(spec.env()),
                SandboxMeta.USER_LABELS, Json.of(spec.labels())));
        PersistentVolumeClaimBuilder pvc = new PersistentVolumeClaimBuilder().withMetadata(meta).withNewSpec()
                .withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", settings.workspaceSize()).endResources().endSpec();
        if (settings.storageClass() != null) {
            pvc.editSpec().withStorageClassName(settings.storageClass()).endSpec();
        }
        try {
            client.persistentVolumeClaims().inNamespace(namespace).resource(pvc.build()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw alreadyExists(spec.name());
            }
            throw KubeErrors.map(e);
        }
        return name;
    }

    /**
     * Makes the pod and waits until its agent answers (or, without the agent, until it is Ready). In auto mode a pod
     * whose agent cannot be reached is made again without it.
     */
    private SandboxInfo startPod(SandboxSpec spec, Instant createdAt, String claim) {
        if (usesAgent()) {
            String configMap;
            try {
                configMap = agent.ensure();
            } catch (RuntimeException e) {
                if (settings.exec() == KubernetesSettings.ExecMode.AGENT) {
                    throw KubeErrors.map(e);
                }
                LOG.warn("The agent's configMap could not be made ({}); sandbox '{}' uses pod exec", e.getMessage(),
                        spec.name());
                return info(startPod(spec, createdAt, claim, null));
            }
            Pod pod = startPod(spec, createdAt, claim, configMap);
            try {
                agents.client(pod.getMetadata().getName(), pod.getMetadata().getUid(), spec.name());
                return info(pod);
            } catch (AgentKernelException e) {
                agents.forget(pod.getMetadata().getUid());
                deletePodAndWait(pod.getMetadata().getName(), 0);
                if (settings.exec() == KubernetesSettings.ExecMode.AGENT) {
                    throw new AgentKernelException.BackendUnavailableException("Sandbox '" + spec.name()
                            + "': the in-sandbox agent did not answer (kubernetes.exec=agent forbids the pod exec "
                            + "fallback): " + e.getMessage(), e);
                }
                LOG.warn("Sandbox '{}': the agent did not answer ({}); falling back to pod exec", spec.name(),
                        e.getMessage());
            }
        }
        return info(startPod(spec, createdAt, claim, null));
    }

    private Pod startPod(SandboxSpec spec, Instant createdAt, String claim, String configMap) {
        String podName = SandboxMeta.podName(spec.name());
        ObjectMeta meta = SandboxMeta.of(podName, spec, instanceId, createdAt, configMap != null
                ? SandboxMeta.VIA_AGENT : SandboxMeta.VIA_POD_EXEC, settings.labels(), settings.annotations());
        Pod pod = PodSpecs.pod(spec, meta, settings, configMap, claim);
        try {
            client.pods().inNamespace(namespace).resource(pod).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw alreadyExists(spec.name());
            }
            throw KubeErrors.map(e);
        }
        return awaitReady(spec.name(), podName);
    }

    /**
     * Polls the pod until it is Ready. A waiting reason that will not resolve (an image that cannot be pulled, a
     * refused configuration) or a pod that ended gives up at once with the kubelet's message; so does the ready
     * timeout. A pod given up is deleted.
     */
    private Pod awaitReady(String sandbox, String podName) {
        long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
        long pause = 20;
        while (true) {
            Pod pod = getPod(podName);
            if (pod == null) {
                throw new AgentKernelException.ConflictException("Sandbox '" + sandbox + "' was removed while it "
                        + "was being made");
            }
            if (Readiness.isPodReady(pod)) {
                return pod;
            }
            String problem = hopeless(pod);
            if (problem != null || System.nanoTime() > deadline) {
                deletePodAndWait(podName, 0);
                if (problem == null) {
                    throw new AgentKernelException.OperationTimeoutException("Sandbox '" + sandbox + "' was not "
                            + "ready within " + settings.readyTimeout().toSeconds() + " s (pod " + podName
                            + " " + describe(pod) + ")");
                }
                ContainerStateWaiting w = waiting(pod);
                if (w != null && IMAGE_PROBLEMS.contains(w.getReason())) {
                    throw new AgentKernelException.InvalidRequestException("Image '" + pod.getSpec().getContainers()
                            .get(0).getImage() + "' cannot be used: " + problem);
                }
                throw new AgentKernelException.BackendUnavailableException("Sandbox '" + sandbox + "' could not "
                        + "start: " + problem, null);
            }
            sleep(pause);
            pause = Math.min(500, pause * 2);
        }
    }

    private static String hopeless(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
            return "its main process ended (" + describe(pod) + ")";
        }
        ContainerStateWaiting w = waiting(pod);
        if (w != null && HOPELESS.contains(w.getReason())) {
            return w.getReason() + (w.getMessage() == null ? "" : ": " + w.getMessage());
        }
        return null;
    }

    private static ContainerStateWaiting waiting(Pod pod) {
        ContainerStatus s = containerStatus(pod);
        return s == null || s.getState() == null ? null : s.getState().getWaiting();
    }

    private static ContainerStatus containerStatus(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty()) {
            return null;
        }
        return pod.getStatus().getContainerStatuses().get(0);
    }

    private static String describe(Pod pod) {
        String phase = pod.getStatus() == null ? "no status" : pod.getStatus().getPhase();
        ContainerStatus s = containerStatus(pod);
        if (s != null && s.getState() != null && s.getState().getWaiting() != null) {
            return phase + ", waiting: " + s.getState().getWaiting().getReason();
        }
        if (s != null && s.getState() != null && s.getState().getTerminated() != null) {
            return phase + ", exit code " + s.getState().getTerminated().getExitCode();
        }
        return phase;
    }

    @Override
    public SandboxInfo start(String name) {
        Validation.sandboxName(name);
        Pod pod = findPod(name);
        PersistentVolumeClaim claim = findClaim(name);
        if (claim == null) {
            if (pod == null) {
                throw AgentKernelException.sandboxNotFound(name);
            }
            return info(pod); // a temporary sandbox: running or broken, never stopped
        }
        if (pod != null && pod.getMetadata().getDeletionTimestamp() == null) {
            return info(pod);
        }
        if (pod != null) {
            waitGone(pod.getMetadata().getName());
        }
        SandboxSpec spec = SandboxMeta.specOf(claim.getMetadata());
        Instant createdAt = SandboxMeta.toInfo(claim.getMetadata(), SandboxStatus.STOPPED, null, Map.of()).createdAt();
        return startPod(spec, createdAt == null ? Instant.now() : createdAt, claim.getMetadata().getName());
    }

    @Override
    public SandboxInfo stop(String name) {
        Validation.sandboxName(name);
        PersistentVolumeClaim claim = findClaim(name);
        Pod pod = findPod(name);
        if (claim == null) {
            if (pod == null) {
                throw AgentKernelException.sandboxNotFound(name);
            }
            throw new AgentKernelException.ConflictException("Sandbox '" + name + "' is temporary: on Kubernetes "
                    + "only named sandboxes (which keep /workspace) can be stopped");
        }
        if (pod != null) {
            agents.forget(pod.getMetadata().getUid());
            deletePodAndWait(pod.getMetadata().getName(), PodSpecs.GRACE_SECONDS);
        }
        return stoppedInfo(claim);
    }

    @Override
    public void remove(String name) {
        Validation.sandboxName(name);
        Pod pod = findPod(name);
        PersistentVolumeClaim claim = findClaim(name);
        if (pod == null && claim == null) {
            throw AgentKernelException.sandboxNotFound(name);
        }
        if (pod != null) {
            agents.forget(pod.getMetadata().getUid());
            deletePodAndWait(pod.getMetadata().getName(), 0);
        }
        if (claim != null) {
            try {
                client.persistentVolumeClaims().inNamespace(namespace).withName(claim.getMetadata().getName()).delete();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw KubeErrors.map(e);
                }
            }
        }
    }

    /** Deletes a pod and waits until the API server no longer has it, so its name can be used again at once. */
    private void deletePodAndWait(String podName, long graceSeconds) {
        try {
            client.pods().inNamespace(namespace).withName(podName).withGracePeriod(graceSeconds).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw KubeErrors.map(e);
            }
        }
        waitGone(podName);
    }

    private void waitGone(String podName) {
        long deadline = System.nanoTime() + GONE_TIMEOUT.toNanos();
        long pause = 20;
        while (getPod(podName) != null) {
            if (System.nanoTime() > deadline) {
                throw new AgentKernelException.OperationTimeoutException("Pod " + podName + " was still there "
                        + GONE_TIMEOUT.toSeconds() + " s after it was deleted");
            }
            sleep(pause);
            pause = Math.min(500, pause * 2);
        }
    }

    // ---- reading state ------------------------------------------------------------------------------------------

    @Override
    public Optional<SandboxInfo> inspect(String name) {
        Validation.sandboxName(name);
        Pod pod = findPod(name);
        if (pod != null) {
            return Optional.of(info(pod));
        }
        PersistentVolumeClaim claim = findClaim(name);
        return claim == null ? Optional.empty() : Optional.of(stoppedInfo(claim));
    }

    @Override
    public List<SandboxInfo> list() {
        Map<String, SandboxInfo> out = new LinkedHashMap<>();
        try {
            for (Pod p : client.pods().inNamespace(namespace).withLabel(SandboxMeta.MANAGED, "true").list().getItems()) {
                if (SandboxMeta.isManaged(p.getMetadata())) {
                    out.put(p.getMetadata().getAnnotations().get(SandboxMeta.NAME), info(p));
                }
            }
            for (PersistentVolumeClaim c : client.persistentVolumeClaims().inNamespace(namespace)
                    .withLabel(SandboxMeta.MANAGED, "true").list().getItems()) {
                if (SandboxMeta.isManaged(c.getMetadata())) {
                    out.putIfAbsent(c.getMetadata().getAnnotations().get(SandboxMeta.NAME), stoppedInfo(c));
                }
            }
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
        List<SandboxInfo> list = new ArrayList<>(out.values());
        list.sort(Comparator.comparing(SandboxInfo::name));
        return list;
    }

    private SandboxInfo info(Pod pod) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("exec_via", pod.getMetadata().getAnnotations().getOrDefault(SandboxMeta.EXEC_VIA,
                SandboxMeta.VIA_POD_EXEC));
        details.put("pod", pod.getMetadata().getName());
        details.put("namespace", namespace);
        if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
            details.put("node", pod.getSpec().getNodeName());
        }
        return SandboxMeta.toInfo(pod.getMetadata(), status(pod), pod.getMetadata().getUid(), details);
    }

    private SandboxInfo stoppedInfo(PersistentVolumeClaim claim) {
        return SandboxMeta.toInfo(claim.getMetadata(), SandboxStatus.STOPPED, null,
                Map.of("claim", claim.getMetadata().getName(), "namespace", namespace));
    }

    private SandboxStatus status(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return SandboxStatus.UNKNOWN;
        }
        if (agents.fault(pod.getMetadata().getUid()) != null) {
            return SandboxStatus.UNKNOWN;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Running".equals(phase) && Readiness.isPodReady(pod)) {
            return SandboxStatus.RUNNING;
        }
        if (phase == null || "Pending".equals(phase)) {
            return SandboxStatus.CREATING;
        }
        return SandboxStatus.UNKNOWN;
    }

    /** The pod of sandbox {@code name}, when it is one of ours and really that sandbox. */
    private Pod findPod(String name) {
        Pod p = getPod(SandboxMeta.podName(name));
        return p != null && SandboxMeta.isSandbox(p.getMetadata(), name) ? p : null;
    }

    private Pod getPod(String podName) {
        try {
            return client.pods().inNamespace(namespace).withName(podName).get();
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
    }

    private PersistentVolumeClaim findClaim(String name) {
        try {
            PersistentVolumeClaim c = client.persistentVolumeClaims().inNamespace(namespace)
                    .withName(SandboxMeta.claimName(name)).get();
            return c != null && SandboxMeta.isSandbox(c.getMetadata(), name) ? c : null;
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
    }

    // ---- commands and files ---------------------------------------------------------------------------------------

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        OutputListener l = listener == null ? OutputListener.NONE : listener;
        Cancellation cancel = cancellation == null ? Cancellation.create() : cancellation;
        Pod pod = requireRunning(name);
        if (viaAgent(pod)) {
            return onAgent(pod, name, a -> a.exec(request, l, cancel));
        }
        return onPodExec(pod, name, () -> podExec.exec(pod.getMetadata().getName(), request, l, cancel));
    }

    /**
     * Through the pod's agent (the same protocol, over the session agent's exec websocket); pods without it have no
     * terminal.
     */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        return onAgentOnly(name, "terminals", a -> a.openPty(request, listener));
    }

    /**
     * Through the pod's agent, which connects to {@code 127.0.0.1:port} in the pod's own network namespace (so no
     * Service, port-forward or network policy is involved); pods without it cannot.
     */
    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        return onAgentOnly(name, "ports", a -> a.openPort(port, listener));
    }

    /** A call only the pod's agent can serve: a running pod made without it is {@code UNSUPPORTED}, naming what. */
    private <T> T onAgentOnly(String name, String what, Function<AgentClient, T> call) {
        Pod pod = requireRunning(name);
        if (!viaAgent(pod)) {
            throw new AgentKernelException.UnsupportedException("Sandbox '" + name
                    + "' runs without the agent, which " + what + " need");
        }
        return onAgent(pod, name, call);
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        String p = Validation.sandboxPath(path);
        Pod pod = requireRunning(name);
        if (viaAgent(pod)) {
            long max = Math.min(maxBytes, Integer.MAX_VALUE - 16); // held in one array
            return new FileContent(p, onAgent(pod, name, a -> a.readFile(p, max)));
        }
        return onPodExec(pod, name, () -> new FileContent(p, podExec.readFile(pod.getMetadata().getName(), name, p,
                maxBytes)));
    }

    @Override
    public void writeFile(String name, FileContent file) {
        Pod pod = requireRunning(name);
        if (viaAgent(pod)) {
            onAgent(pod, name, a -> {
                a.writeFile(file.path(), file.content());
                return null;
            });
            return;
        }
        onPodExec(pod, name, () -> {
            podExec.writeFile(pod.getMetadata().getName(), name, file.path(), file.content());
            return null;
        });
    }

    @Override
    public void deleteFile(String name, String path) {
        String p = Validation.sandboxPath(path);
        Pod pod = requireRunning(name);
        if (viaAgent(pod)) {
            onAgent(pod, name, a -> {
                a.deleteFile(p);
                return null;
            });
            return;
        }
        onPodExec(pod, name, () -> {
            podExec.deleteFile(pod.getMetadata().getName(), name, p);
            return null;
        });
    }

    private static boolean viaAgent(Pod pod) {
        return SandboxMeta.VIA_AGENT.equals(pod.getMetadata().getAnnotations().get(SandboxMeta.EXEC_VIA));
    }

    /** The pod of a running sandbox; missing is NOT_FOUND, stopped or not (yet) running is CONFLICT. */
    private Pod requireRunning(String name) {
        Validation.sandboxName(name);
        Pod pod = findPod(name);
        if (pod == null) {
            if (findClaim(name) != null) {
                throw notRunning(name);
            }
            throw AgentKernelException.sandboxNotFound(name);
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (pod.getMetadata().getDeletionTimestamp() != null || !"Running".equals(phase)) {
            throw notRunning(name);
        }
        return pod;
    }

    /**
     * Runs a call on the pod's agent. A lost connection usually means the pod went away meanwhile: that is then
     * reported as such (NOT_FOUND / CONFLICT).
     */
    private <T> T onAgent(Pod pod, String name, Function<AgentClient, T> call) {
        try {
            return call.apply(agents.client(pod.getMetadata().getName(), pod.getMetadata().getUid(), name));
        } catch (AgentKernelException e) {
            throw explain(e, pod, name);
        }
    }

    private <T> T onPodExec(Pod pod, String name, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (AgentKernelException e) {
            throw explain(e, pod, name);
        }
    }

    private AgentKernelException explain(AgentKernelException e, Pod pod, String name) {
        if (e.code() != ErrorCode.BACKEND_UNAVAILABLE) {
            return e;
        }
        Pod now;
        try {
            now = findPod(name);
        } catch (AgentKernelException unreachable) {
            return e;
        }
        if (now == null || !now.getMetadata().getUid().equals(pod.getMetadata().getUid())) {
            return findClaim(name) != null ? notRunning(name) : AgentKernelException.sandboxNotFound(name);
        }
        if (now.getMetadata().getDeletionTimestamp() != null || !"Running".equals(now.getStatus().getPhase())) {
            return notRunning(name);
        }
        return e;
    }

    private static AgentKernelException notRunning(String name) {
        return new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running");
    }

    private static AgentKernelException alreadyExists(String name) {
        return new AgentKernelException.ConflictException("Sandbox '" + name + "' already exists");
    }

    // ---- the rest -----------------------------------------------------------------------------------------------

    @Override
    public BackendHealth health() {
        try {
            // what the service account may always do (pods in its namespace): the answer proves the API server works
            client.pods().inNamespace(namespace).withLabel(SandboxMeta.MANAGED, "true")
                    .list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
            Map<String, String> details = new LinkedHashMap<>();
            details.put("server_version", serverVersion());
            details.put("namespace", namespace);
            details.put("exec_via", usesAgent() ? SandboxMeta.VIA_AGENT + " (" + settings.exec().wireName()
                    + ", configMap " + agent.configMapName() + ")" : SandboxMeta.VIA_POD_EXEC
                    + (agent.unavailableReason() == null ? "" : " (" + agent.unavailableReason() + ")"));
            details.put("agent_connections", Integer.toString(agents.connections()));
            if (policyProblem != null) {
                details.put("network_policies", policyProblem);
            }
            return BackendHealth.up(ID, details);
        } catch (RuntimeException e) {
            return BackendHealth.down(ID, KubeErrors.map(e).getMessage());
        }
    }

    private String serverVersion() {
        try {
            var v = client.getKubernetesVersion();
            return v == null || v.getGitVersion() == null ? "unknown" : v.getGitVersion();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteQuietly(Runnable delete) {
        try {
            delete.run();
        } catch (RuntimeException ignored) {
            // best effort after a failed create; the caller gets the original error
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.OperationTimeoutException("Interrupted while waiting for the pod");
        }
    }

    @Override
    public void close() {
        agents.close();
        client.close();
    }
}
