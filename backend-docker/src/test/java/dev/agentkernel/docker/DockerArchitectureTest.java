package dev.agentkernel.docker;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/**
 * The Docker backend: the SPI of core (never its internal parts), docker-java and SLF4J, and the JDK's TLS for the
 * hijacked streams to a TLS engine; no HTTP framework, no front end.
 */
class DockerArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "dev.agentkernel.docker.", "com.github.dockerjava.", "org.slf4j.",
                        "javax.net.ssl.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
