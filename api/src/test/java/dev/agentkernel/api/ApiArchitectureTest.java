package dev.agentkernel.api;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The api module is what every front end and every client compiles against: the JDK alone, so that neither a remote client nor an embedder drags in an engine, an HTTP stack, a JSON library or a logger. */
class ApiArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.").check();
    }
}
