package dev.agentkernel.server;

import dev.agentkernel.api.Capability;
import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

/** What the backend cannot do is a 501 with code {@code unsupported} and a message naming it, never a 500. */
class UnsupportedTest {
    @TempDir
    Path dir;

    @Test
    void stopOnABackendWithoutStopStartIs501() {
        FakeBackend fake = new FakeBackend().capabilities(EnumSet.of(Capability.NETWORK_ISOLATION));
        try (ServerFixture f = new ServerFixture(fake, ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o, b -> b)) {
            assertThat(f.get("/health").json().get("capabilities").toString()).isEqualTo("[\"network_isolation\"]");
            assertThat(f.post("/sandboxes", "{\"name\": \"box\"}").status()).isEqualTo(201);
            ServerFixture.Reply r = f.post("/sandboxes/box/stop", "{}");
            assertThat(r.status()).isEqualTo(501);
            assertThat(r.json().get("success").asBoolean()).isFalse();
            assertThat(r.json().get("code").asText()).isEqualTo("unsupported");
            assertThat(r.json().get("error").asText()).contains("stop_start");
            assertThat(r.header("Retry-After")).isNull();
        }
    }

    /** A backend without snapshots and volumes (Kubernetes) answers every such route 501, naming the capability. */
    @Test
    void snapshotsAndVolumesOnABackendWithoutThemAre501() {
        FakeBackend fake = new FakeBackend().capabilities(EnumSet.of(Capability.NETWORK_ISOLATION));
        try (ServerFixture f = new ServerFixture(fake, ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o, b -> b)) {
            assertThat(f.post("/sandboxes", "{\"name\": \"box\"}").status()).isEqualTo(201);
            for (ServerFixture.Reply r : java.util.List.of(
                    f.post("/snapshots", "{\"sandbox\": \"box\", \"name\": \"s1\"}"),
                    f.get("/snapshots"),
                    f.get("/snapshots/s1"),
                    f.post("/snapshots/s1/restore", "{}"),
                    f.get("/volumes"),
                    f.post("/volumes", "{\"name\": \"v1\"}"),
                    f.post("/sandboxes", "{\"name\": \"box2\", \"volumes\": [\"v1:/data\"]}"))) {
                assertThat(r.status()).as(r.json().toString()).isEqualTo(501);
                assertThat(r.json().get("code").asText()).isEqualTo("unsupported");
                assertThat(r.json().get("error").asText()).containsAnyOf("snapshots", "volumes");
            }
            assertThat(f.get("/sandboxes/box2").status()).as("nothing made by the refused create").isEqualTo(404);
        }
    }
}
