package dev.agentkernel.examples;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The examples use what a user would: the api, the kernel's public face, the client SDK and the Docker backend; never core's internal parts. */
class ExamplesArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "dev.agentkernel.client.", "dev.agentkernel.docker.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
