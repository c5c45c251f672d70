package dev.agentkernel.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * A small JSON document the kernel keeps beside its audit log (expiries, exposed ports). Written whole to a temporary
 * file and moved over the old one, so a crash leaves either the old or the new document, never half of one.
 */
final class JsonStateFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonStateFile() {
    }

    /** The document, or empty when the file does not exist. */
    static Optional<JsonNode> read(Path file) throws IOException {
        return Files.exists(file) ? Optional.of(JSON.readTree(file.toFile())) : Optional.empty();
    }

    static void write(Path file, JsonNode document) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(document));
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
