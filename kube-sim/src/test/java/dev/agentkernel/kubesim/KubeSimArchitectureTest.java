package dev.agentkernel.kubesim;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/**
 * The simulated cluster stands apart from the product: fabric8's mock API server, docker-java for the pods'
 * containers and SLF4J; no agentkernel module, so a backend tested against it cannot lean on its own code. The one
 * exception is testkit, the tests' own library (no product code), whose {@code BackendView} {@link SimView} is.
 */
class KubeSimArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.kubesim.", "io.fabric8.", "com.github.dockerjava.",
                "org.slf4j.", "dev.agentkernel.testkit.BackendView").check();
    }
}
