package dev.agentkernel.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sandbox whose agent stopped answering (the backend reports it broken): a named one answers 409
 * {@code sandbox_broken} naming it and can be removed at once; a {@code /run} whose own sandbox broke answers 503
 * with {@code Retry-After} and never names the internal {@code run-}/{@code pool-} sandbox.
 */
class BrokenSandboxTest {
    @TempDir
    static Path dir;
    static ServerFixture f;

    @BeforeAll
    static void start() {
        FakeBackend fake = new FakeBackend().handler(cmd -> {
            if (cmd.argv().get(0).equals("break")) {
                throw new AgentKernelException.SandboxBrokenException(cmd.sandbox(), "its agent stopped answering");
            }
            return FakeBackend.DEFAULT_HANDLER.run(cmd);
        });
        f = new ServerFixture(fake, ServerFixture.config(8, 1), dir.resolve("audit.jsonl"), o -> o, b -> b);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void aRunWhoseSandboxBrokeIs503WithoutTheInternalName() {
        for (String fast : new String[]{"true", "false"}) {
            ServerFixture.Reply r = f.post("/run", "{\"command\": [\"break\"], \"fast\": " + fast + "}");
            assertThat(r.status()).as(r.body()).isEqualTo(503);
            assertThat(r.header("Retry-After")).isNotNull();
            JsonNode body = r.json();
            assertThat(body.get("code").asText()).isEqualTo("backend_unavailable");
            assertThat(body.get("error").asText()).isEqualTo("The run's sandbox broke (its agent stopped answering); "
                    + "retry the run");
        }
    }

    @Test
    void aBrokenNamedSandboxIs409NamingItAndGoesAtOnce() {
        assertThat(f.post("/sandboxes", "{\"name\": \"mine\"}").status()).isEqualTo(201);
        ServerFixture.Reply r = f.post("/sandboxes/mine/exec", "{\"command\": [\"break\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(409);
        assertThat(r.json().get("code").asText()).isEqualTo("sandbox_broken");
        assertThat(r.json().get("error").asText()).startsWith("Sandbox 'mine' is broken (its agent stopped answering)");
        assertThat(f.delete("/sandboxes/mine").status()).isEqualTo(200);
    }
}
