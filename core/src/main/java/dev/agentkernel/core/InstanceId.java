package dev.agentkernel.core;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Identifies one running agentkernel process: {@code host/pid/nonce}. Written on every temporary and pooled
 * sandbox so that a later process can tell whether the owner is still alive (same host, pid alive) and reap
 * what a dead one left behind.
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
     * Whether the instance that wrote {@code owner} may still be alive. Unknown formats and other hosts count
     * as alive: never reap what we cannot prove is orphaned.
     */
    public static boolean mayBeAlive(String owner) {
        if (owner == null) {
            return false;
        }
        if (owner.equals(CURRENT)) {
            return true;
        }
        String[] parts = owner.split("/");
        if (parts.length != 3 || !parts[0].equals(hostName())) {
            return true;
        }
        Optional<ProcessHandle> p;
        try {
            p = ProcessHandle.of(Long.parseLong(parts[1]));
        } catch (NumberFormatException e) {
            return true;
        }
        return p.map(ProcessHandle::isAlive).orElse(false) && !isOurPidWithOtherNonce(parts[1]);
    }

    // Our own pid with another nonce is a previous process whose pid was reused by us: it is dead.
    private static boolean isOurPidWithOtherNonce(String pid) {
        return String.valueOf(ProcessHandle.current().pid()).equals(pid);
    }
}
