package dev.agentkernel.mcp;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/** The MCP server: the api (embedded or remote), the kernel factory of core (never its internal parts), the MCP SDK, Jackson and SLF4J; no engine, HTTP framework or CLI library. */
class McpArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "dev.agentkernel.client.", "dev.agentkernel.mcp.", "io.modelcontextprotocol.", "com.fasterxml.jackson.", "org.slf4j.")
                .mayNotImport("dev.agentkernel.core.internal.").check();
    }
}
