package dev.agentkernel.core;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Identifies one running agentkernel process: {@code host/pid/nonce}. Written on every sandbox as its owner and
 * used as the holder of the instance's lease ({@link LeaseStore}). The lease decides whether an owner is alive
 * wherever it ran; on the same host a dead pid proves it gone at once, without waiting for the lease to expire.
 */
public final class InstanceId {
    private static final String CURRENT = create(ProcessHandle.current().pid());

    private InstanceId() {
    }

    public static String current() {
        return CURRENT;
    }

    static String create(long pid) {
        byte[] nonce = new byte[4];
        new SecureRandom().nextBytes(nonce);
        return hostName() + "/" + pid + "/" + HexFormat.of().formatHex(nonce);
    }

    static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }

    /**
     * Whether the instance that wrote {@code owner} may still be alive as far as this host can tell. Unknown
     * formats and other hosts count as alive: never reap what we cannot prove is orphaned. (Owners on other hosts
     * are judged by their lease; see {@link LeaseStore}.)
     */
    public static boolean mayBeAlive(String owner) {
        return owner != null && !provablyDead(owner);
    }

    /** Whether {@code owner} names a process of this host that is gone (its pid is dead, or reused by us). */
    public static boolean provablyDead(String owner) {
        if (owner == null || owner.equals(CURRENT)) {
            return false;
        }
        String[] parts = owner.split("/");
        if (parts.length != 3 || !parts[0].equals(hostName())) {
            return false;
        }
        Optional<ProcessHandle> p;
        try {
            p = ProcessHandle.of(Long.parseLong(parts[1]));
        } catch (NumberFormatException e) {
            return false;
        }
        return !p.map(ProcessHandle::isAlive).orElse(false) || isOurPidWithOtherNonce(parts[1]);
    }

    // Our own pid with another nonce is a previous process whose pid was reused by us: it is dead.
    private static boolean isOurPidWithOtherNonce(String pid) {
        return String.valueOf(ProcessHandle.current().pid()).equals(pid);
    }
}
