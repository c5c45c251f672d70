package dev.agentkernel.testkit;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Owner ids for the agentkernel instances a test starts in child processes, in the instance id format
 * ({@code host/pid/nonce}) with this test JVM's pid: the test counts and removes containers by that exact owner,
 * and once the test run is gone any later agentkernel may reap what a crash left behind.
 */
public final class TestOwners {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestOwners() {
    }

    /** A fresh owner id of this JVM: same host and pid as this process, a new nonce. */
    public static String ofThisJvm() {
        byte[] nonce = new byte[4];
        RANDOM.nextBytes(nonce);
        return hostName() + "/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(nonce);
    }

    /** The prefix every owner id of this JVM starts with ({@code host/pid/}). */
    public static String prefixOfThisJvm() {
        return hostName() + "/" + ProcessHandle.current().pid() + "/";
    }

    /** The host name as agentkernel's instance id has it: {@code $HOSTNAME}, else the resolver's, else localhost. */
    public static String hostName() {
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
}
