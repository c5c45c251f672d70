package dev.agentkernel.security;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The security suite is test code only: it drives the real server and looks at the engine with its own eyes (docker-java), and never reaches into core's internal parts. */
class SuiteArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.sourcesUnder(java.nio.file.Path.of("src/test/java")).mayImport("dev.agentkernel.", "org.junit.", "org.assertj.", "com.github.dockerjava.", "com.fasterxml.jackson.", "org.slf4j.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
