package dev.agentkernel.server;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The HTTP server: the kernel's public face (never core's internal parts), Vert.x (and the HTTP codec errors of its Netty), Jackson, SLF4J, Micrometer (its metrics) and the JDK's HMAC (signed port URLs); it knows no engine (backends come through the SPI). */
class ServerArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "dev.agentkernel.server.", "io.vertx.", "io.netty.handler.codec.http.",
                        "com.fasterxml.jackson.", "org.slf4j.", "io.micrometer.", "javax.crypto.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
