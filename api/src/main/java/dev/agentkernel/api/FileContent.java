package dev.agentkernel.api;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** The bytes of a file in a sandbox, with its normalised absolute path. */
public record FileContent(String path, byte[] content) {
    public FileContent {
        path = Validation.sandboxPath(path);
        content = content == null ? new byte[0] : content;
    }

    public long size() {
        return content.length;
    }

    /** The content as text when it is valid UTF-8 (strictly decoded), empty otherwise. */
    public Optional<String> utf8() {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
