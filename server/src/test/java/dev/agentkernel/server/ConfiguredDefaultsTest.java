package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /sandboxes} without a profile or limits gets the configured {@code [sandbox] profile} and
 * {@code [resources]}: the kernel applies them, as for every front end; explicit values still win.
 */
class ConfiguredDefaultsTest {
    @TempDir
    Path dir;

    @Test
    void createGetsTheConfiguredProfileAndResources() {
        AgentKernelConfig d = ServerFixture.config(8);
        AgentKernelConfig config = d.withSandbox(new AgentKernelConfig.Sandbox(d.sandbox().image(),
                SecurityProfile.RESTRICTIVE, null)).withResources(new AgentKernelConfig.Resources(2, 256));
        FakeBackend fake = new FakeBackend();
        try (ServerFixture f = new ServerFixture(fake, config, dir.resolve("audit.jsonl"), o -> o, b -> b)) {
            ServerFixture.Reply created = f.post("/sandboxes", "{\"name\": \"defaults\"}");
            assertThat(created.status()).isEqualTo(201);
            JsonNode got = f.get("/sandboxes/defaults").json().get("data");
            assertThat(got.get("profile").asText()).isEqualTo("restrictive");
            assertThat(got.get("vcpus").asInt()).isEqualTo(2);
            assertThat(got.get("memory_mb").asInt()).isEqualTo(256);
            assertThat(got.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(fake.inspect("defaults").orElseThrow().profile()).isEqualTo(SecurityProfile.RESTRICTIVE);

            assertThat(f.post("/sandboxes", "{\"name\": \"explicit\", \"profile\": \"moderate\", \"vcpus\": 1, "
                    + "\"memory_mb\": 128}").status()).isEqualTo(201);
            JsonNode explicit = f.get("/sandboxes/explicit").json().get("data");
            assertThat(explicit.get("profile").asText()).isEqualTo("moderate");
            assertThat(explicit.get("vcpus").asInt()).isEqualTo(1);
            assertThat(explicit.get("memory_mb").asInt()).isEqualTo(128);
        }
    }
}
