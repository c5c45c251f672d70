package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.Version;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.Backend;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.LeaseStore;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.Capability;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
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
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;
import dev.agentkernel.docker.agent.AgentSupport;
import dev.agentkernel.api.DetachedCommand;
import dev.agentkernel.docker.engine.EngineEndpoint;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The Docker backend: one container per sandbox, named {@code agentkernel-<name>}, described entirely by its
 * labels ({@link Labels}). Talks to the engine with docker-java (zerodep transport), except for the stdio of execs
 * and of the agent, which use a raw hijacked connection ({@link dev.agentkernel.docker.engine.HijackedStream}, TLS
 * engines included). Thread-safe.
 *
 * <p>Commands and file operations reach a sandbox one of two ways, chosen per sandbox at create time and recorded
 * in a label: through the in-sandbox agent ({@link AgentChannel}, the default when it can run) or through
 * {@code docker exec} ({@link DockerExecChannel}, the fallback; forced with {@code docker.exec=docker-exec}). This
 * class only ever talks to the {@link SandboxChannel} that {@link SandboxChannels} hands out.
 */
public final class DockerBackend implements Backend {
    /** The engine network of every networked sandbox (the firewall's bridge), for the benchmark's baselines. */
    public static final String SANDBOX_NETWORK = SandboxNetwork.NAME;

    /** The engine's name of a sandbox's container, for the benchmark's look at its processes. */
    public static String containerName(String sandbox) {
        return Labels.containerName(sandbox);
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DockerBackend.class);
    public static final String ID = "docker";
    /** How commands reach a sandbox without the agent (the detail {@code exec_via} of {@link SandboxInfo}). */
    public static final String EXEC_VIA = AgentSupport.VIA_DOCKER_EXEC;
    /** Environment fallback for the {@value AgentSupport#MODE_PROPERTY} setting. */
    public static final String EXEC_MODE_ENV = "AGENTKERNEL_DOCKER_EXEC";
    /** Settings key overriding {@code DOCKER_HOST}. */
    public static final String DOCKER_HOST_PROPERTY = "docker.host";
    /**
     * Settings key: {@code false} never pulls (only local images are used), {@code true} or {@code *} from any
     * registry, else a comma-separated list of registries. Overrides {@value #PULL_ENV} and
     * {@link BackendSettings#PULL_REGISTRIES}; without any, any registry ({@link ImagePolicy}: internal addresses are
     * refused in every case).
     */
    public static final String PULL_PROPERTY = "docker.pull";
    /** {@code false} turns pulling off unless {@value #PULL_PROPERTY} says otherwise; the test build sets it so no test reaches a registry. */
    public static final String PULL_ENV = "AGENTKERNEL_DOCKER_PULL";
    /** Settings key: the container runtime of every profile without one of its own (e.g. {@code runsc}). */
    public static final String RUNTIME_PROPERTY = "docker.runtime";
    /** Environment fallback for {@value #RUNTIME_PROPERTY}; {@code mvn -Prunsc} sets it for the integration tests. */
    public static final String RUNTIME_ENV = "AGENTKERNEL_DOCKER_RUNTIME";
    /** The agent (PID 1) or docker-init ends on SIGTERM from the engine, so stop is fast; this bounds a stuck one. */
    private static final int STOP_TIMEOUT_SECONDS = 2;
    private static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);

    private final DockerClient client;
    private final String instanceId;
    private final ContainerExec execs;
    private final SandboxContainers containers;
    /** How commands and files reach each sandbox: the agent or docker exec, as its labels record. */
    private final SandboxChannels channels;
    private final ImagePolicy images;
    private final AgentSupport agents;
    private final SandboxNetwork network;
    private final DiskQuota disk;
    /** The container runtime per profile, where the configuration names one (else the engine's default). */
    private final Map<SecurityProfile, String> runtimes;
    private final DockerLeases leases;
    private final DockerSnapshots snapshots;
    private final DockerVolumes volumes;
    private volatile int hostCpus;

    private DockerBackend(DockerClient client, EngineEndpoint endpoint, String instanceId, ImagePolicy images,
                          AgentSupport.Mode execMode, long diskMb, long diskInodes,
                          Map<SecurityProfile, String> runtimes) {
        this.client = client;
        this.instanceId = instanceId;
        this.images = images;
        this.execs = new ContainerExec(client, endpoint);
        this.agents = new AgentSupport(client, endpoint, execMode);
        this.containers = new SandboxContainers(client);
        this.channels = new SandboxChannels(containers, agents, execs);
        this.network = new SandboxNetwork(client);
        this.disk = new DiskQuota(client, instanceId, diskMb, diskInodes, agents::forget);
        this.runtimes = Map.copyOf(runtimes);
        this.disk.start();
        this.leases = new DockerLeases(client);
        this.snapshots = new DockerSnapshots(client, instanceId);
        this.volumes = new DockerVolumes(client, instanceId);
    }

    /** Opens a backend for the engine at {@code docker.host}, else {@code DOCKER_HOST}, else the local socket. */
    public static DockerBackend open(BackendSettings settings) {
        return open(settings, config(settings));
    }

    /** Opens a backend for the engine {@code config} describes (its host and TLS settings). */
    static DockerBackend open(BackendSettings settings, DockerClientConfig config) {
        checkKeys(settings);
        EngineEndpoint endpoint;
        try {
            endpoint = EngineEndpoint.of(config);
        } catch (IllegalArgumentException e) {
            throw new AgentKernelException.InvalidRequestException("Docker engine " + config.getDockerHost() + ": "
                    + e.getMessage());
        }
        return new DockerBackend(client(config), endpoint, settings.instanceId(),
                ImagePolicy.parse(pullSetting(settings)),
                AgentSupport.Mode.parse(settings.property(AgentSupport.MODE_PROPERTY, System.getenv(EXEC_MODE_ENV))),
                positive(settings, DiskQuota.MB_PROPERTY, DiskQuota.DEFAULT_MB),
                positive(settings, DiskQuota.INODES_PROPERTY, DiskQuota.DEFAULT_INODES),
                runtimes(settings));
    }

    /**
     * {@code runtime.<profile>} ({@code [profiles.NAME] runtime}), else {@value #RUNTIME_PROPERTY} for every profile,
     * else {@value #RUNTIME_ENV} (how the tests run everything under gVisor), else the engine's default.
     */
    static Map<SecurityProfile, String> runtimes(BackendSettings settings) {
        String all = settings.property(RUNTIME_PROPERTY, System.getenv(RUNTIME_ENV));
        Map<SecurityProfile, String> out = new java.util.EnumMap<>(SecurityProfile.class);
        for (SecurityProfile p : SecurityProfile.values()) {
            String r = settings.property(BackendSettings.runtimeKey(p), all);
            if (r != null && !r.isBlank()) {
                out.put(p, r.trim());
            }
        }
        return out;
    }

    private static long positive(BackendSettings settings, String key, long fallback) {
        String v = settings.property(key, null);
        try {
            long n = v == null ? fallback : Long.parseLong(v.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new AgentKernelException.InvalidRequestException("Invalid " + key + " '" + v + "': must be a positive integer");
    }

    /** The {@code [docker]} keys this backend knows; any other {@code docker.*} setting is a mistake to report. */
    private static final java.util.Set<String> KEYS = java.util.Set.of(DOCKER_HOST_PROPERTY, PULL_PROPERTY,
            AgentSupport.MODE_PROPERTY, DiskQuota.MB_PROPERTY, DiskQuota.INODES_PROPERTY, RUNTIME_PROPERTY);

    private static void checkKeys(BackendSettings settings) {
        for (String key : settings.properties().keySet()) {
            if (key.startsWith("docker.") && !KEYS.contains(key)) {
                throw new AgentKernelException.InvalidRequestException("Unknown config key '" + key + "': the [docker] "
                        + "keys are " + KEYS.stream().map(k -> k.substring(7)).sorted().toList());
            }
        }
    }

    /** {@value #PULL_PROPERTY}, else {@code false} from {@value #PULL_ENV}, else the configured registries, else any. */
    private static String pullSetting(BackendSettings settings) {
        String explicit = settings.property(PULL_PROPERTY, null);
        if (explicit != null) {
            return explicit;
        }
        if ("false".equalsIgnoreCase(System.getenv(PULL_ENV))) {
            return "false";
        }
        return settings.property(BackendSettings.PULL_REGISTRIES, ImagePolicy.ANY);
    }

    static DockerClientConfig config(BackendSettings settings) {
        // The API version is left unset on purpose: pinning one above the engine's fails.
        DefaultDockerClientConfig.Builder b = DefaultDockerClientConfig.createDefaultConfigBuilder();
        String host = settings.property(DOCKER_HOST_PROPERTY, null);
        if (host != null && !host.isBlank()) {
            b.withDockerHost(host);
        }
        return b.build();
    }

    static DockerClient client(DockerClientConfig config) {
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(256)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    /** Labelled volumes on the engine ({@link DockerLeases}). */
    @Override
    public LeaseStore leases() {
        return leases;
    }

    /**
     * Stop keeps the container's filesystem; {@code network=none}; a pids cgroup per container; commits as
     * snapshots; named volumes; the agent.
     */
    @Override
    public Set<Capability> capabilities() {
        Set<Capability> c = EnumSet.of(Capability.STOP_START, Capability.STOP_KEEPS_FILES,
                Capability.NETWORK_ISOLATION, Capability.PID_LIMIT, Capability.SNAPSHOTS, Capability.VOLUMES);
        if (agents.enabled()) {
            c.add(Capability.AGENT_TRANSPORT);
            c.add(Capability.PTY);
            c.add(Capability.PORTS);
            c.add(Capability.DETACHED_COMMANDS);
        }
        c.add(Capability.SUDO);
        return Collections.unmodifiableSet(c);
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return create(spec, CreateOptions.NONE);
    }

    /** With its volumes mounted, and an in-memory 0700 place for secret files when it gets any. */
    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        Objects.requireNonNull(spec.image(), "the image must be resolved before create");
        ensureImage(spec.image());
        if (agents.enabled()) {
            // In-sandbox agent first; in auto mode a sandbox whose agent cannot start or answer is made again
            // without it (docker exec). The fallback is logged by AgentSupport and visible as execVia.
            String id = createAndStart(spec, options, true);
            if (id != null && agents.verify(id, spec.name())) {
                return inspect(spec.name()).orElseThrow(() -> AgentKernelException.sandboxNotFound(spec.name()));
            }
            if (id != null) {
                agents.forget(id);
                removeQuietly(id);
            }
            if (agents.mode() == AgentSupport.Mode.AGENT) {
                throw new AgentKernelException.BackendUnavailableException("Sandbox '" + spec.name()
                        + "': the in-sandbox agent did not start (docker.exec=agent forbids the docker exec fallback)", null);
            }
        }
        createAndStart(spec, options, false);
        return inspect(spec.name()).orElseThrow(() -> AgentKernelException.sandboxNotFound(spec.name()));
    }

    /**
     * Creates and starts the container, with the agent as its long-running process when {@code withAgent}.
     * Returns null (having cleaned up) when an agent container could not be prepared or started, so the caller
     * can fall back; any other failure is thrown.
     */
    private String createAndStart(SandboxSpec spec, CreateOptions options, boolean withAgent) {
        String containerName = Labels.containerName(spec.name());
        Map<String, String> labels = Labels.of(spec, instanceId, Instant.now().truncatedTo(ChronoUnit.MILLIS));
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        HostConfig hostConfig = ProfileMapping.hostConfig(spec.profile(), spec.vcpus(), spec.memoryMb(), hostCpus(),
                runtimes.get(spec.profile()));
        disk.apply(hostConfig, spec.profile());
        mountOptions(hostConfig, spec, options);
        CreateContainerCmd cmd = client.createContainerCmd(spec.image())
                .withName(containerName)
                .withLabels(labels)
                .withEnv(env)
                // Keeps the container alive doing nothing; commands come in as execs. Needs a sleep that
                // understands "infinity" in the image (busybox and coreutils both do).
                .withEntrypoint("sleep")
                .withCmd("infinity")
                .withHostConfig(hostConfig);
        String user = ProfileMapping.user(spec.profile());
        if (user != null) {
            cmd.withUser(user);
        }
        String workdir = ProfileMapping.workingDir(spec.profile());
        if (workdir != null) {
            cmd.withWorkingDir(workdir);
        }
        if (withAgent) {
            try {
                agents.prepare(cmd, spec.image());
            } catch (RuntimeException e) {
                if (agents.mode() == AgentSupport.Mode.AGENT) {
                    throw DockerErrors.map(e);
                }
                return null;
            }
        }
        boolean networked = spec.profile().network() != SecurityProfile.Network.NONE;
        if (networked) {
            network.ensure();
        }
        String id;
        try {
            id = createContainer(cmd, networked);
        } catch (ConflictException e) {
            // Docker's name uniqueness is the lock: whoever created agentkernel-<name> first wins.
            throw new AgentKernelException.ConflictException("Sandbox '" + spec.name() + "' already exists");
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        try {
            client.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            removeQuietly(id);
            if (withAgent && agents.mode() != AgentSupport.Mode.AGENT) {
                return null;
            }
            AgentKernelException mapped = DockerErrors.map(e);
            throw new AgentKernelException(mapped.code(), "Sandbox '" + spec.name() + "' could not start: "
                    + mapped.getMessage(), e);
        }
        return id;
    }

    /**
     * The volumes, and for secret files a small tmpfs at {@link CreateOptions#SECRETS_DIR} owned by the sandbox's
     * user, mode 0700, noexec: in memory, so never in the writable layer a snapshot commits.
     */
    private void mountOptions(HostConfig hostConfig, SandboxSpec spec, CreateOptions options) {
        if (!options.volumes().isEmpty()) {
            List<com.github.dockerjava.api.model.Mount> mounts = new ArrayList<>(
                    hostConfig.getMounts() == null ? List.of() : hostConfig.getMounts());
            options.volumes().forEach(v -> mounts.add(volumes.mount(v)));
            hostConfig.withMounts(mounts);
        }
        if (!options.secretFiles().isEmpty()) {
            Map<String, String> tmpfs = new LinkedHashMap<>(hostConfig.getTmpFs() == null ? Map.of() : hostConfig.getTmpFs());
            String user = ProfileMapping.user(spec.profile());
            String owner = user == null ? "" : ",uid=" + user.split(":")[0] + ",gid=" + user.split(":")[1];
            tmpfs.put(CreateOptions.SECRETS_DIR, "rw,nosuid,nodev,noexec,mode=0700,size=1m,nr_inodes=1024" + owner);
            hostConfig.withTmpFs(tmpfs);
        }
    }

    /**
     * Creates; a sandbox network removed behind our back (a prune) is made again once, and a storage that refuses
     * the size quota is asked again without it (the disk watch enforces it then).
     */
    private String createContainer(CreateContainerCmd cmd, boolean networked) {
        try {
            String id = cmd.exec().getId();
            if (cmd.getHostConfig().getStorageOpt() != null) {
                disk.sizeOptionWorked();
            }
            return id;
        } catch (NotFoundException e) {
            if (!networked) {
                throw e;
            }
            network.forget();
            network.ensure();
            return cmd.exec().getId();
        } catch (RuntimeException e) {
            if (!disk.refusedSizeOption(e, cmd.getHostConfig())) {
                throw e;
            }
            return cmd.exec().getId();
        }
    }

    @Override
    public SandboxInfo start(String name) {
        return changeState(name, id -> client.startContainerCmd(id).exec());
    }

    @Override
    public SandboxInfo stop(String name) {
        return changeState(name, id -> {
            agents.forget(id);
            client.stopContainerCmd(id).withTimeout(STOP_TIMEOUT_SECONDS).exec();
        });
    }

    /** Starts or stops: idempotent (the engine's "not modified" is success), a vanished container is not found. */
    private SandboxInfo changeState(String name, java.util.function.Consumer<String> change) {
        InspectContainerResponse c = containers.require(name);
        try {
            change.accept(c.getId());
        } catch (NotModifiedException alreadyThere) {
            // fine: start and stop are idempotent
        } catch (NotFoundException e) {
            throw AgentKernelException.sandboxNotFound(name);
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        return inspect(name).orElseThrow(() -> AgentKernelException.sandboxNotFound(name));
    }

    @Override
    public void remove(String name) {
        InspectContainerResponse c = containers.require(name);
        agents.forget(c.getId());
        try {
            client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            throw AgentKernelException.sandboxNotFound(name);
        } catch (ConflictException e) {
            // Removal already in progress (a concurrent remove): the sandbox is going away.
            throw AgentKernelException.sandboxNotFound(name);
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    @Override
    public Optional<SandboxInfo> inspect(String name) {
        return containers.find(name).map(c -> info(c.getConfig().getLabels(), c.getState().getStatus(), c.getId()));
    }

    /**
     * An open agent connection answers without an engine call: the engine ends the attach stream when the container's
     * process ends, and a connection that broke (a protocol fault, no answer to PING) is closed. Without one (the
     * docker exec path, or a sandbox made by another process), the engine is asked.
     */
    @Override
    public boolean running(String name) {
        return agents.liveContainer(name) != null || Backend.super.running(name);
    }

    /**
     * What the labels and the engine's state say, except that a running sandbox whose agent is broken is shown as
     * unknown: it cannot run anything, and a warm pool must not hand it out.
     */
    private SandboxInfo info(Map<String, String> labels, String dockerState, String containerId) {
        boolean broken = "running".equals(dockerState) && agents.fault(containerId) != null;
        return Labels.toInfo(labels, broken ? "broken" : dockerState, containerId, ID);
    }

    @Override
    public List<SandboxInfo> list() {
        List<Container> containers;
        try {
            containers = client.listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(Map.of(Labels.MANAGED, "true"))
                    .exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        List<SandboxInfo> out = new ArrayList<>();
        for (Container c : containers) {
            String dockerName = c.getNames() == null || c.getNames().length == 0 ? null : c.getNames()[0];
            if (Labels.isManaged(c.getLabels(), dockerName)) {
                out.add(info(c.getLabels(), c.getState(), c.getId()));
            }
        }
        out.sort(Comparator.comparing(SandboxInfo::name));
        return out;
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        // A sudo command whose agent is not root goes through docker exec as root (see SandboxChannels).
        return channels.forCommand(name, request).exec(request, listener == null ? OutputListener.NONE : listener,
                cancellation == null ? Cancellation.create() : cancellation);
    }

    /** Through the agent only: a sandbox on the docker exec path has no terminal (its channel says so). */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        return channels.of(name).openPty(request, listener);
    }

    /** Through the agent only (it connects from inside the sandbox's network namespace); see SandboxChannel. */
    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        return channels.of(name).openPort(port, listener);
    }

    // ---- detached commands: kept by the sandbox's agent (see agentkernel-agent.c), so they outlive us

    @Override
    public DetachedCommand execDetached(String name, String id, ExecRequest request) {
        return channels.of(name).execDetached(id, request);
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        if (!Boolean.TRUE.equals(containers.require(name).getState().getRunning())) {
            return List.of(); // they died with the sandbox
        }
        return channels.of(name).detachedList();
    }

    @Override
    public byte[] detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        return detachedChannel(name, id).detachedLogs(id, stream);
    }

    @Override
    public DetachedCommand detachedKill(String name, String id) {
        return detachedChannel(name, id).detachedKill(id);
    }

    /** The channel of a running sandbox, for one detached command: a stopped sandbox has none left (NOT_FOUND). */
    private SandboxChannel detachedChannel(String name, String id) {
        if (!Boolean.TRUE.equals(containers.require(name).getState().getRunning())) {
            throw AgentKernel.detachedNotFound(name, id);
        }
        return channels.of(name);
    }

    @Override
    public FileContent readFile(String name, String path, long maxBytes) {
        SandboxChannel channel = channels.of(name);
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        // held in one array on either transport
        return channel.readFile(Validation.sandboxPath(path), Math.min(maxBytes, Integer.MAX_VALUE - 16));
    }

    @Override
    public void writeFile(String name, FileContent file) {
        channels.of(name).writeFile(file);
    }

    @Override
    public void deleteFile(String name, String path) {
        SandboxChannel channel = channels.of(name);
        channel.deleteFile(Validation.sandboxPath(path));
    }

    // ---- snapshots and volumes

    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        InspectContainerResponse c = containers.require(sandbox);
        return snapshots.take(info(c.getConfig().getLabels(), c.getState().getStatus(), c.getId()), c.getId(), name);
    }

    @Override
    public List<SnapshotInfo> snapshots() {
        return snapshots.list();
    }

    @Override
    public Optional<SnapshotInfo> snapshot(String name) {
        return snapshots.find(name);
    }

    @Override
    public void deleteSnapshot(String name) {
        snapshots.delete(name);
    }

    @Override
    public VolumeInfo createVolume(String name) {
        return volumes.create(name);
    }

    @Override
    public List<VolumeInfo> volumes() {
        return volumes.list();
    }

    @Override
    public void removeVolume(String name) {
        volumes.remove(name);
    }

    @Override
    public BackendHealth health() {
        try {
            Version v = client.versionCmd().exec();
            Map<String, String> details = new LinkedHashMap<>();
            details.put("engine_version", String.valueOf(v.getVersion()));
            details.put("api_version", String.valueOf(v.getApiVersion()));
            details.put("network", network.describe());
            details.put("image_pulls", images.describe());
            details.put("disk", disk.describe());
            if (!runtimes.isEmpty()) {
                details.put("profile_runtimes", runtimes.entrySet().stream().map(e -> e.getKey().wireName() + "="
                        + e.getValue()).collect(java.util.stream.Collectors.joining(",")));
            }
            details.put("exec_via", agents.enabled() ? AgentSupport.VIA_AGENT + " (" + agents.mode().wireName()
                    + ", fallback docker-exec)" : AgentSupport.VIA_DOCKER_EXEC + " (" + agents.unavailableReason() + ")");
            try {
                Info info = client.infoCmd().exec();
                if (info.getRuntimes() != null) {
                    details.put("runtimes", String.join(",", info.getRuntimes().keySet()));
                }
                if (info.getNCPU() != null) {
                    details.put("cpus", info.getNCPU().toString());
                }
            } catch (RuntimeException ignored) {
                // version alone shows the engine answers
            }
            return BackendHealth.up(ID, details);
        } catch (RuntimeException e) {
            return BackendHealth.down(ID, DockerErrors.map(e).getMessage());
        }
    }

    /** Answers whether the engine responds to a ping; for {@link DockerBackendProvider}. */
    static String ping(DockerClient client) {
        try {
            client.pingCmd().exec();
            return null;
        } catch (RuntimeException e) {
            return DockerErrors.map(e).getMessage();
        }
    }

    private int hostCpus() {
        int n = hostCpus;
        if (n == 0) {
            try {
                Integer ncpu = client.infoCmd().exec().getNCPU();
                n = ncpu == null ? -1 : ncpu;
            } catch (RuntimeException e) {
                n = -1;
            }
            hostCpus = n;
        }
        return n;
    }

    @Override
    public boolean imageAvailable(String image) {
        try {
            ensureImage(image);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Uses the local image when present, pulls it otherwise where {@link ImagePolicy} allows; a missing image is an
     * error naming it. A reference naming an internal address is refused before the engine sees it.
     */
    private void ensureImage(String image) {
        dev.agentkernel.api.Validation.image(image);
        images.checkReference(image);
        try {
            client.inspectImageCmd(image).exec();
            return;
        } catch (NotFoundException e) {
            // not here: pull below
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        ImageReference ref = ImageReference.parse(image);
        if (ref.repository().equals(DockerSnapshots.REPOSITORY)) {
            // a snapshot lives in this engine only: one deleted meanwhile is gone, never looked for in a registry
            throw new AgentKernelException.InvalidRequestException("Image '" + image + "' is not available locally: "
                    + "snapshot images are never pulled");
        }
        images.checkPull(image);
        try {
            boolean done = client.pullImageCmd(ref.repository())
                    .withTag(ref.tag())
                    .start()
                    .awaitCompletion(PULL_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            if (!done) {
                throw new AgentKernelException.OperationTimeoutException("Pulling image '" + image + "' took longer than "
                        + PULL_TIMEOUT.toMinutes() + " minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.OperationTimeoutException("Interrupted while pulling image '" + image + "'");
        } catch (AgentKernelException e) {
            throw e;
        } catch (RuntimeException e) {
            // The engine's text tells how the registry answered (an oracle for whoever names the registry): logged only.
            LOG.warn("pulling image '{}' failed: {}", image, DockerErrors.engineMessage(e));
            throw new AgentKernelException.InvalidRequestException("Image '" + image
                    + "' is not available locally and could not be pulled");
        }
    }

    private void removeQuietly(String containerId) {
        try {
            client.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException ignored) {
            // best effort on a failed create; the caller gets the original error
        }
    }

    @Override
    public void close() {
        disk.close();
        agents.close();
        execs.close();
        try {
            client.close();
        } catch (IOException ignored) {
            // closing the connection pool cannot fail in a way we can act on
        }
    }
}
