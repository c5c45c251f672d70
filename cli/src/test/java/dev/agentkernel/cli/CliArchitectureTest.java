package dev.agentkernel.cli;

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
 * The commands are written against api's {@code Sandboxes} and get them from connect's one factory: no class names
 * the kernel or the HTTP client, except {@code serve}, which builds the kernel it hands to the HTTP server.
 */
class CliArchitectureTest {
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?(dev\\.agentkernel\\.[\\w.]+)",
            Pattern.MULTILINE);
    private static final List<String> KERNEL_OR_CLIENT = List.of("dev.agentkernel.core.AgentKernel",
            "dev.agentkernel.core.KernelFactory", "dev.agentkernel.client.", "dev.agentkernel.mcp.SandboxOperations");

    @Test
    void onlyServeBuildsAKernelAndNothingUsesTheClientDirectly() throws IOException {
        List<Path> sources;
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(20);
        for (Path source : sources) {
            boolean serve = source.endsWith(Path.of("commands", "ServeCommand.java"));
            Matcher m = IMPORT.matcher(Files.readString(source));
            while (m.find()) {
                String name = m.group(1);
                if (name.startsWith("dev.agentkernel.core.KernelFactory") && source.endsWith("DoctorCommand.java")) {
                    continue; // doctor opens the configured backend alone, to ask it for its health
                }
                if (!serve || name.startsWith("dev.agentkernel.client.")) {
                    assertThat(KERNEL_OR_CLIENT).as("%s imports %s", source, name).noneMatch(name::startsWith);
                }
            }
        }
    }
}
