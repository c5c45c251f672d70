package dev.agentkernel.docker;

import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LabelsTest {
    private final SandboxSpec spec = new SandboxSpec("box-1", "agentkernel/busybox:local", 2, 256,
            SecurityProfile.RESTRICTIVE, Map.of(), Map.of("team", "a"), SandboxKind.POOL);

    @Test
    void labelsRoundTripIntoInfo() {
        Instant t = Instant.parse("2026-01-02T03:04:05.678Z");
        Map<String, String> labels = Labels.of(spec, "host/1/ab", t);
        assertThat(labels).containsEntry("dev.agentkernel.managed", "true")
                .containsEntry("dev.agentkernel.name", "box-1")
                .containsEntry("dev.agentkernel.kind", "pool")
                .containsEntry("dev.agentkernel.profile", "restrictive")
                .containsEntry("dev.agentkernel.vcpus", "2")
                .containsEntry("dev.agentkernel.memory-mb", "256")
                .containsEntry("dev.agentkernel.created-at", "2026-01-02T03:04:05.678Z")
                .containsEntry("dev.agentkernel.owner", "host/1/ab")
                .containsEntry("dev.agentkernel.image", "agentkernel/busybox:local")
                .containsEntry("team", "a");
        String uuid = labels.get("dev.agentkernel.uuid");
        assertThat(uuid).as("a UUIDv7").matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        SandboxInfo info = Labels.toInfo(labels, "running", "cid", "docker");
        assertThat(info).isEqualTo(new SandboxInfo("box-1", SandboxStatus.RUNNING, "docker", "agentkernel/busybox:local",
                2, 256, t, SecurityProfile.RESTRICTIVE, SandboxKind.POOL, "cid", "host/1/ab",
                Map.of("exec_via", "docker-exec"), uuid, null));
        assertThat(Labels.of(spec, "host/1/ab", t).get("dev.agentkernel.uuid")).as("a new one per sandbox").isNotEqualTo(uuid);
    }

    @Test
    void aContainerWithoutAStoredUuidGetsOneDerivedFromItsId() {
        Map<String, String> labels = new java.util.HashMap<>(Labels.of(spec, "host/1/ab", Instant.now()));
        labels.remove("dev.agentkernel.uuid");
        String derived = Labels.toInfo(labels, "running", "cid", "docker").uuid();
        assertThat(derived).isNotNull().isEqualTo(Labels.toInfo(labels, "exited", "cid", "docker").uuid());
        assertThat(Labels.toInfo(labels, "running", "other", "docker").uuid()).isNotEqualTo(derived);
    }

    @Test
    void onlyExactlyNamedLabelledContainersAreOurs() {
        Map<String, String> labels = Labels.of(spec, "o", Instant.now());
        assertThat(Labels.isManaged(labels, "/agentkernel-box-1")).isTrue();
        assertThat(Labels.isManaged(labels, "agentkernel-box-1")).isTrue();
        assertThat(Labels.isManaged(labels, "/agentkernel-box-10")).as("no prefix matching").isFalse();
        assertThat(Labels.isManaged(labels, "/other")).isFalse();
        assertThat(Labels.isManaged(Map.of(), "/agentkernel-box-1")).as("no labels").isFalse();
        assertThat(Labels.isManaged(Map.of("dev.agentkernel.managed", "true"), "/agentkernel-box-1")).isFalse();
        assertThat(Labels.isManaged(null, "/agentkernel-box-1")).isFalse();
    }

    @Test
    void dockerStatesMapToOurs() {
        assertThat(Labels.status("running")).isEqualTo(SandboxStatus.RUNNING);
        assertThat(Labels.status("exited")).isEqualTo(SandboxStatus.STOPPED);
        assertThat(Labels.status("created")).isEqualTo(SandboxStatus.STOPPED);
        assertThat(Labels.status("paused")).isEqualTo(SandboxStatus.UNKNOWN);
        assertThat(Labels.status("dead")).isEqualTo(SandboxStatus.UNKNOWN);
        assertThat(Labels.status(null)).isEqualTo(SandboxStatus.UNKNOWN);
    }

    @Test
    void brokenLabelsDegradeToUnknownFields() {
        SandboxInfo info = Labels.toInfo(Map.of("dev.agentkernel.name", "x", "dev.agentkernel.vcpus", "many",
                "dev.agentkernel.created-at", "yesterday", "dev.agentkernel.profile", "weird"), "exited", "id", "docker");
        assertThat(info.vcpus()).isNull();
        assertThat(info.createdAt()).isNull();
        assertThat(info.profile()).isNull();
        assertThat(info.kind()).isEqualTo(SandboxKind.NAMED);
        assertThat(info.status()).isEqualTo(SandboxStatus.STOPPED);
    }

    @Test
    void imageReferencesDefaultToLatest() {
        assertThat(ImageReference.parse("busybox")).isEqualTo(new ImageReference("busybox", "latest"));
        assertThat(ImageReference.parse("a/b:1.2")).isEqualTo(new ImageReference("a/b", "1.2"));
        assertThat(ImageReference.parse("localhost:5000/a/b")).isEqualTo(new ImageReference("localhost:5000/a/b", "latest"));
        assertThat(ImageReference.parse("localhost:5000/a/b:x")).isEqualTo(new ImageReference("localhost:5000/a/b", "x"));
        assertThat(ImageReference.parse("a/b@sha256:abc")).isEqualTo(new ImageReference("a/b", "sha256:abc"));
    }
}
