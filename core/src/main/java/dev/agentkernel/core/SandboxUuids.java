package dev.agentkernel.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Sandbox identities, as upstream makes them: a UUIDv7 (48 bits of Unix milliseconds, then random bits) given at
 * creation and stored by the backend with the sandbox, so that it stays the same across stop/start and restarts of
 * agentkernel. Sandboxes made before identities existed get one derived from their backend id instead: stable for
 * their life too, and never equal to a new one (it is a version 3 UUID).
 */
public final class SandboxUuids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SandboxUuids() {
    }

    public static String newUuid() {
        byte[] r = new byte[10];
        RANDOM.nextBytes(r);
        long ms = System.currentTimeMillis();
        long high = (ms << 16) | 0x7000L | ((r[0] & 0x0fL) << 8) | (r[1] & 0xffL);
        long low = ByteBuffer.wrap(r, 2, 8).getLong() & 0x3fffffffffffffffL | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** The identity of a sandbox made before identities were stored: derived from its backend id. */
    public static String derived(String backendId) {
        return UUID.nameUUIDFromBytes(("agentkernel-sandbox:" + backendId).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
