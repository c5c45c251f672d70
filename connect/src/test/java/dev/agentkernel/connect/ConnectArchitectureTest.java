package dev.agentkernel.connect;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The factory joins the kernel (through core's public face, never its internal parts) and the HTTP client. */
class ConnectArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "dev.agentkernel.client.",
                "dev.agentkernel.connect.", "org.slf4j.").mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
