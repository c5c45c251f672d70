package dev.agentkernel.core.internal;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Validation;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The host's secret store: one file per key in a directory only its owner can enter (0700), each file 0600,
 * created with those modes (never widened afterwards) and replaced atomically. Values never leave this class but
 * through {@link #read}, for the kernel to write them into a sandbox; they are never logged and errors never
 * carry them.
 */
public final class SecretStore {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** A secret is a token or a key file, not a data set. */
    public static final int MAX_BYTES = 64 * 1024;

    private final Path dir;

    public SecretStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path directory() {
        return dir;
    }

    public synchronized void set(String key, byte[] value) {
        Validation.secretKey(key);
        if (value.length > MAX_BYTES) {
            throw new AgentKernelException.TooLargeException("Secret '" + key + "' is larger than " + MAX_BYTES + " bytes");
        }
        try {
            ensureDir();
            Path tmp = dir.resolve("." + key + ".tmp");
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(FILE))) {
                ch.write(java.nio.ByteBuffer.wrap(value));
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(key), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw unavailable("store secret '" + key + "'", e);
        }
    }

    /** The value; {@code NOT_FOUND} naming the key when there is none. */
    public byte[] read(String key) {
        Validation.secretKey(key);
        try {
            return Files.readAllBytes(dir.resolve(key));
        } catch (NoSuchFileException e) {
            throw notFound(key);
        } catch (IOException e) {
            throw unavailable("read secret '" + key + "'", e);
        }
    }

    public synchronized List<String> keys() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(SecretStore::isKey).sorted().toList();
        } catch (IOException e) {
            throw unavailable("list secrets", e);
        }
    }

    public synchronized void remove(String key) {
        Validation.secretKey(key);
        try {
            if (!Files.deleteIfExists(dir.resolve(key))) {
                throw notFound(key);
            }
        } catch (IOException e) {
            throw unavailable("remove secret '" + key + "'", e);
        }
    }

    /** Creates the directory 0700, and refuses one that others can enter (someone else's, or widened by hand). */
    private void ensureDir() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made meanwhile: checked below
            }
        }
        if (!Files.getPosixFilePermissions(dir).equals(DIR)) {
            throw new IOException("the secret directory " + dir + " must have mode 0700");
        }
    }

    private static boolean isKey(String name) {
        try {
            Validation.secretKey(name);
            return true;
        } catch (AgentKernelException e) {
            return false;
        }
    }

    private static AgentKernelException notFound(String key) {
        return new AgentKernelException.NotFoundException("Secret '" + key + "' not found");
    }

    private static AgentKernelException unavailable(String what, IOException e) {
        return new AgentKernelException.BackendUnavailableException("Cannot " + what + ": " + e.getMessage(), e);
    }
}
