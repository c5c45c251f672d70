package dev.agentkernel.core;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** core: the api, the JDK, SLF4J and Jackson; no engine client, HTTP framework or CLI library (so a second backend and every front end can use it). */
class CoreArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "org.slf4j.", "com.fasterxml.jackson.").check();
    }
}
