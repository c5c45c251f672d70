package dev.agentkernel.docker.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The static agent executable compiled by this module's build (from {@code src/main/c}) and shipped as a
 * class-path resource. Its content hash names the Docker volume that carries it, so a new build never
 * reuses an older binary.
 */
public final class AgentBinary {
    /** Where the build puts the executable, relative to this class. */
    public static final String RESOURCE = "agentkernel-agent";
    private static volatile AgentBinary instance;

    private final byte[] bytes;
    private final String sha256;

    private AgentBinary(byte[] bytes) {
        this.bytes = bytes;
        this.sha256 = HexFormat.of().formatHex(digest(bytes));
    }

    /** The bundled binary; fails with a clear message when this jar was built without it. */
    public static AgentBinary bundled() {
        AgentBinary b = instance;
        if (b == null) {
            synchronized (AgentBinary.class) {
                b = instance;
                if (b == null) {
                    try (InputStream in = AgentBinary.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) {
                            throw new IllegalStateException("the agent binary " + RESOURCE
                                    + " is missing from the class path (was the module built with gcc?)");
                        }
                        b = new AgentBinary(in.readAllBytes());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    instance = b;
                }
            }
        }
        return b;
    }

    /** Whether the binary is on the class path (without loading it). */
    public static boolean isBundled() {
        return AgentBinary.class.getResource(RESOURCE) != null;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    public String sha256() {
        return sha256;
    }

    /** Writes the executable to a file (mode 0755); for running it as a local process. */
    public Path writeTo(Path file) {
        try {
            Files.write(file, bytes);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] digest(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
