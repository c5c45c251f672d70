package dev.agentkernel.docker;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Ulimit;
import dev.agentkernel.api.SecurityProfile;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place where a {@link SecurityProfile} and the sandbox limits become Docker settings. Every kind
 * of sandbox (named, run, pool) goes through here, so a profile means the same thing on every path.
 *
 * <p>Docker's defaults are not a sandbox (no limits, writable root, root user, 14 capabilities, unbounded
 * logs), so every setting is made explicit here rather than left to the engine.
 */
public final class ProfileMapping {
    /** The working directory of restrictive sandboxes: a tmpfs owned by the non-root user. */
    public static final String WORKDIR = "/workspace";
    /** uid and gid of the restrictive profile's user (nobody); the tmpfs mounts are owned by it. */
    static final int NOBODY = 65534;
    /** Container logs only hold the main process's output (a sleep), but bound them anyway. */
    static final String LOG_MAX_SIZE = "1m";
    /** The runtime name {@code scripts/docker-bootstrap.sh --with-runsc} registers gVisor under. */
    static final String GVISOR = "runsc";
    /**
     * The process limit of every profile under gVisor, and the host threads its ptrace platform may use for them.
     * Measured with a fork bomb ({@code b(){ b | b & }; b}) at RLIMIT_NPROC 32, 64 and 128: host pids peaked at
     * ~1550, ~2650 and ~5300 (about 40 per process, the churn of refused forks included; idle ~55, ~9 per running
     * process). Past its pids cgroup the Sentry dies (exit 2) and takes the sandbox with it; over its memory limit
     * likewise (1024 processes in 512 MB). So: at most 64 processes, and 64 host threads for each plus 512.
     */
    static final int GVISOR_MAX_PROCESSES = 64;
    static final int GVISOR_PIDS_PER_PROCESS = 64;
    static final int GVISOR_PIDS_BASE = 512;
    /**
     * Capabilities no sandbox may hold, whatever a profile says: raw/packet sockets and network administration let
     * one sandbox forge or read its neighbours' traffic (ARP spoofing on the bridge); the rest reach the host
     * kernel or other processes directly.
     */
    static final Set<Capability> FORBIDDEN = EnumSet.of(Capability.NET_RAW, Capability.NET_ADMIN,
            Capability.NET_BROADCAST, Capability.SYS_ADMIN, Capability.SYS_RESOURCE, Capability.AUDIT_CONTROL,
            Capability.SYS_MODULE, Capability.SYS_RAWIO, Capability.SYS_PTRACE, Capability.SYS_BOOT, Capability.SYS_TIME,
            Capability.MAC_ADMIN, Capability.MAC_OVERRIDE, Capability.BPF, Capability.PERFMON, Capability.DAC_READ_SEARCH,
            Capability.LINUX_IMMUTABLE, Capability.SYSLOG, Capability.WAKE_ALARM, Capability.BLOCK_SUSPEND);

    private ProfileMapping() {
    }

    /**
     * @param hostCpus CPUs the engine has; Docker refuses a NanoCPUs value above it, so a request for more
     *                 vCPUs than the host has gets every CPU of the host (the label keeps the requested value)
     */
    public static HostConfig hostConfig(SecurityProfile profile, int vcpus, int memoryMb, int hostCpus) {
        return hostConfig(profile, vcpus, memoryMb, hostCpus, null);
    }

    /**
     * @param runtime the engine's container runtime for this sandbox, or null for its default; under gVisor
     *                ({@value #GVISOR}) the process limit ({@link #gvisorProcesses}) is RLIMIT_NPROC, which gVisor
     *                enforces inside, and the pids cgroup only bounds the host threads gVisor needs for them
     *                ({@link #gvisorHostPids})
     */
    public static HostConfig hostConfig(SecurityProfile profile, int vcpus, int memoryMb, int hostCpus, String runtime) {
        long memoryBytes = memoryMb * 1024L * 1024L;
        int effectiveCpus = hostCpus > 0 ? Math.min(vcpus, hostCpus) : vcpus;
        HostConfig hc = HostConfig.newHostConfig()
                .withNetworkMode(profile.network() == SecurityProfile.Network.NONE ? "none" : SandboxNetwork.NAME)
                .withReadonlyRootfs(profile.readOnlyRoot())
                .withPrivileged(false)
                .withInit(true)
                .withMemory(memoryBytes)
                // memory + swap = memory: no swap, so the limit is a real limit.
                .withMemorySwap(memoryBytes)
                .withNanoCPUs(effectiveCpus * 1_000_000_000L)
                .withPidsLimit(GVISOR.equals(runtime) ? gvisorHostPids(profile) : pidsLimit(profile))
                .withSecurityOpts(securityOpts(profile))
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE,
                        Map.of("max-size", LOG_MAX_SIZE, "max-file", "1")));
        hc.withCapDrop(Capability.ALL);
        Capability[] added = capabilities(profile).toArray(Capability[]::new);
        if (added.length > 0) {
            hc.withCapAdd(added);
        }
        if (profile.readOnlyRoot()) {
            hc.withTmpFs(tmpfs(memoryMb));
        }
        if (runtime != null) {
            hc.withRuntime(runtime);
        }
        if (GVISOR.equals(runtime)) {
            // gVisor counts the sandbox's processes itself against RLIMIT_NPROC, so a fork bomb gets EAGAIN at the
            // limit, well before the pids cgroup (which would crash gVisor). Not under runc: there the
            // limit is per host user, shared with every container running as the same uid.
            long n = gvisorProcesses(profile);
            hc.withUlimits(new Ulimit[]{new Ulimit("nproc", n, n)});
        }
        return hc;
    }

    /** no-new-privileges (every profile) and our own seccomp profile in every profile. */
    static List<String> securityOpts(SecurityProfile profile) {
        List<String> opts = new java.util.ArrayList<>();
        if (profile.noNewPrivileges()) {
            opts.add("no-new-privileges:true");
        }
        opts.add(SeccompProfile.securityOpt());
        return opts;
    }

    /**
     * The capabilities a sandbox of this profile holds: every profile drops all and adds back its list, so nothing
     * depends on the engine's default set. A profile naming a {@link #FORBIDDEN} one is a programming error.
     */
    static List<Capability> capabilities(SecurityProfile profile) {
        if (!profile.dropAllCapabilities()) {
            throw new IllegalStateException("profile " + profile.wireName() + " must list its capabilities");
        }
        List<Capability> caps = profile.addedCapabilities().stream().map(Capability::valueOf).toList();
        for (Capability c : caps) {
            if (FORBIDDEN.contains(c)) {
                throw new IllegalStateException("profile " + profile.wireName() + " adds the forbidden capability " + c);
            }
        }
        return caps;
    }

    /**
     * The writable places of a read-only root: {@code /tmp} (sticky, world-writable) and the workdir (owned by
     * nobody, the profile's user). Their pages count against the memory limit; the size caps each one too.
     */
    static Map<String, String> tmpfs(int memoryMb) {
        Map<String, String> mounts = new LinkedHashMap<>();
        // A quarter of the memory limit each: tmpfs pages are charged to the sandbox's memory, so a /tmp as big as
        // the limit lets a disk fill OOM-kill every process (the sandbox dies); now the fill gets ENOSPC first.
        // Inodes too: empty files cost no pages but kernel memory (inode + dentry, ~1 KiB each) that is charged to
        // the sandbox as well, so an inode fill would OOM-kill it just the same. 64 inodes per MiB of memory keeps
        // both mounts' inodes under ~1/8 of the limit.
        String size = "size=" + Math.max(1, memoryMb / 4) + "m,nr_inodes=" + Math.max(1024, memoryMb * 64);
        mounts.put("/tmp", "rw,nosuid,nodev,mode=1777," + size);
        mounts.put(WORKDIR, "rw,nosuid,nodev,mode=0755,uid=" + NOBODY + ",gid=" + NOBODY + "," + size);
        return mounts;
    }

    /**
     * Processes a sandbox may have (its pids cgroup): enough for builds in the open profiles, few enough in the
     * restrictive one that a fork bomb ends at once. A Docker mapping, not a profile promise: other engines have no
     * per-sandbox limit (Kubernetes sets one per node).
     */
    static long pidsLimit(SecurityProfile profile) {
        return switch (profile) {
            case PERMISSIVE -> 1024;
            case MODERATE -> 512;
            case RESTRICTIVE -> 128;
        };
    }

    /** The processes a gVisor sandbox may have (its RLIMIT_NPROC): the profile's limit, at most 64. */
    static long gvisorProcesses(SecurityProfile profile) {
        return Math.min(pidsLimit(profile), GVISOR_MAX_PROCESSES);
    }

    /** The pids cgroup of a gVisor sandbox: its processes' host threads plus gVisor's own, with room to spare. */
    static long gvisorHostPids(SecurityProfile profile) {
        return GVISOR_PIDS_BASE + GVISOR_PIDS_PER_PROCESS * gvisorProcesses(profile);
    }

    /** The user to run as, or null for the image default. */
    public static String user(SecurityProfile profile) {
        return profile.user();
    }

    /** The working directory to set, or null for the image default (its own writable root). */
    public static String workingDir(SecurityProfile profile) {
        return profile.readOnlyRoot() ? WORKDIR : null;
    }
}
