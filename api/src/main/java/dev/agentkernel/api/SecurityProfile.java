package dev.agentkernel.api;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The three security profiles: what a sandbox may do, independent of the engine. Every backend applies them
 * through one mapping class of its own, identically for pooled, temporary and named sandboxes. Memory and CPU
 * limits come from the sandbox spec and are honoured in every profile. How many processes a sandbox may have is
 * the backend's mapping where it has {@link Capability#PID_LIMIT}; a profile without network needs
 * {@link Capability#NETWORK_ISOLATION}.
 */
public enum SecurityProfile {
    /**
     * Network, writable root, the container engine's usual default capability set minus NET_RAW (raw and packet
     * sockets would let a sandbox forge ARP and IP packets and read its neighbours' traffic on the bridge).
     */
    PERMISSIVE(Network.ENABLED, false, true, List.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
            "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"), null),
    /** Network, writable root, all capabilities dropped but the few a package manager needs. */
    MODERATE(Network.ENABLED, false, true,
            List.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"), null),
    /** No network, read-only root with writable tmpfs at /tmp and the workdir, no capabilities, non-root. */
    RESTRICTIVE(Network.NONE, true, true, List.of(), "65534:65534");

    /** The profile used when none is given. */
    public static final SecurityProfile DEFAULT = MODERATE;

    /**
     * Network of the sandbox: {@code ENABLED} is the backend's ordinary sandbox network (Docker: the default
     * bridge; Kubernetes: the pod network); {@code NONE} is loopback only.
     */
    public enum Network { ENABLED, NONE }

    private final Network network;
    private final boolean readOnlyRoot;
    private final boolean dropAllCapabilities;
    private final List<String> addedCapabilities;
    private final String user;

    SecurityProfile(Network network, boolean readOnlyRoot, boolean dropAllCapabilities,
                    List<String> addedCapabilities, String user) {
        this.network = network;
        this.readOnlyRoot = readOnlyRoot;
        this.dropAllCapabilities = dropAllCapabilities;
        this.addedCapabilities = addedCapabilities;
        this.user = user;
    }

    public Network network() { return network; }

    public boolean readOnlyRoot() { return readOnlyRoot; }

    public boolean dropAllCapabilities() { return dropAllCapabilities; }

    /** Capabilities added back after dropping all (empty when nothing is dropped or nothing is added back). */
    public List<String> addedCapabilities() { return addedCapabilities; }

    /** Every profile sets no-new-privileges. */
    public boolean noNewPrivileges() { return true; }

    /** {@code uid:gid} to run as, or {@code null} for the image's default user. */
    public String user() { return user; }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name; an unknown name is an invalid request that lists the valid ones. */
    public static SecurityProfile fromWire(String value) {
        if (value == null) {
            return DEFAULT;
        }
        for (SecurityProfile p : values()) {
            if (p.wireName().equals(value)) {
                return p;
            }
        }
        throw new AgentKernelException.InvalidRequestException("Invalid profile '" + value + "': must be one of "
                + Arrays.stream(values()).map(SecurityProfile::wireName).collect(Collectors.joining(", ")));
    }
}
