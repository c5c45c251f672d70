package dev.agentkernel.cli;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI puts the other modules together (api, connect, server, MCP, the Docker bench baseline) with picocli and
 * Jackson (and the JDK's signal API for the terminal size); never core's internal parts, never the HTTP client, docker-java or Vert.x directly. The commands are
 * written against the api's {@code Sandboxes} and get them from connect's one factory: only {@code serve} builds a
 * kernel itself (it hands it to the HTTP server).
 */
class CliArchitectureTest {
    /** sun.misc.Signal: the one way a JVM hears SIGWINCH (module jdk.unsupported), for {@code shell}. */
    private static final String[] MAY = {"dev.agentkernel.", "picocli.", "com.fasterxml.jackson.", "org.slf4j.",
        "sun.misc.Signal"};

    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport(MAY).mayNotImport("dev.agentkernel.core.internal.", "dev.agentkernel.client.")
                .check();
    }

    @Test
    void onlyServeBuildsAKernel() throws IOException {
        ImportRules rules = ImportRules.mainSources().mayImport(MAY)
                .mayNotImport("dev.agentkernel.core.AgentKernel", "dev.agentkernel.core.KernelFactory");
        List<Path> sources;
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java") && !p.endsWith("ServeCommand.java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(20);
        for (Path source : sources) {
            assertThat(rules.violations(Files.readString(source))).as("%s", source).isEmpty();
        }
        assertThat(rules.violations("import dev.agentkernel.core.KernelFactory;")).as("the rule bites").isNotEmpty();
    }
}
