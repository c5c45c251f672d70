package dev.agentkernel.mcp;

import dev.agentkernel.testkit.ImportRules;
import org.junit.jupiter.api.Test;

/**
 * The MCP server is written against the api's {@code Sandboxes} only and gets them from connect's one factory
 * (embedded or remote); of core it reads the configuration loader, the instance id and the pull policy (to choose
 * the target),
 * never the kernel or its internal parts, never the HTTP client; no engine, HTTP framework or CLI library.
 */
class McpArchitectureTest {
    @Test
    void importsOnlyWhatThisModuleMay() {
        ImportRules.mainSources().mayImport("dev.agentkernel.api.", "dev.agentkernel.connect.",
                        "dev.agentkernel.core.config.ConfigLoader", "dev.agentkernel.core.InstanceId",
                        "dev.agentkernel.core.BackendSettings",
                        "dev.agentkernel.mcp.", "io.modelcontextprotocol.", "com.fasterxml.jackson.", "org.slf4j.")
                .check();
    }
}
