package dev.agentkernel.mcp;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MCP server is written against api's {@code Sandboxes} only: it gets them from connect's factory, and of our
 * other modules it reads nothing but the configuration loader and the instance id (to choose the target).
 */
class McpArchitectureTest {
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?(dev\\.agentkernel\\.[\\w.]+)",
            Pattern.MULTILINE);
    private static final List<String> ALLOWED = List.of("dev.agentkernel.api.", "dev.agentkernel.mcp.",
            "dev.agentkernel.connect.", "dev.agentkernel.core.config.ConfigLoader", "dev.agentkernel.core.InstanceId");

    @Test
    void theToolsUseTheOneInterfaceOnly() throws IOException {
        List<Path> sources;
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).isNotEmpty();
        for (Path source : sources) {
            Matcher m = IMPORT.matcher(Files.readString(source));
            while (m.find()) {
                String name = m.group(1);
                assertThat(ALLOWED).as("%s imports %s", source, name).anyMatch(name::startsWith);
            }
        }
    }
}
