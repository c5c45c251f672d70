package dev.agentkernel.cli;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The CLI puts the other modules together (api, kernel, client, server, MCP, the Docker bench baseline) with picocli and Jackson; never core's internal parts, never docker-java or Vert.x directly. */
class CliArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.", "picocli.", "com.fasterxml.jackson.", "org.slf4j.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
