package dev.agentkernel.client;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The client SDK talks HTTP only: the api values, the JDK's HTTP client and Jackson; never the kernel, a backend or the server. */
class ClientArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.client.", "com.fasterxml.jackson.").check();
    }
}
