package dev.agentkernel.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The create options' rules: each bad value is an invalid request naming its field. */
class CreateOptionsTest {
    @Test
    void volumeEntriesParseAndBadOnesNameTheField() {
        assertThat(VolumeMount.parse("cache:/data")).isEqualTo(new VolumeMount("cache", "/data", false));
        assertThat(VolumeMount.parse("cache:/data:ro").readOnly()).isTrue();
        assertThat(VolumeMount.parse("cache:/data:ro").toString()).isEqualTo("cache:/data:ro");
        for (String bad : List.of("", "cache", "cache:data", "cache:/data:rx", "cache:/a/../b", "cache:/a//b",
                "../x:/data", ":/data", "a:/b:ro:x", "v:/proc/x", "v:/sys", "v:/dev/shm", "v:/run/agentkernel/secrets",
                "v:/")) {
            assertThatThrownBy(() -> VolumeMount.parse(bad)).as(bad)
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                    .hasMessageContaining("volumes");
        }
        assertThatThrownBy(() -> CreateOptions.volumes(VolumeMount.parse("a:/d"), VolumeMount.parse("b:/d")))
                .hasMessageContaining("volumes");
    }

    @Test
    void gitUrlsFollowUpstreamsRules() {
        assertThat(Validation.gitUrlHost("https://github.com/o/r.git")).isEqualTo("github.com");
        assertThat(Validation.gitUrlHost("ssh://git@github.com/o/r.git")).isEqualTo("github.com");
        assertThat(Validation.gitUrlHost("git@github.com:o/r.git")).isEqualTo("github.com");
        assertThat(Validation.gitUrlHost("https://[2001:db8::1]/r.git")).isEqualTo("2001:db8::1");
        for (String bad : List.of("", "http://h/r", "file:///etc", "ext::sh -c x", "git://h/r", "https:///r",
                "https://u:p@h/r", "https://h/r?x=1", "https://h/r#f", "git@-oProxyCommand=x:y", "git@h:-x",
                "-https://h/r", "https://h/r .git")) {
            assertThatThrownBy(() -> new CreateOptions(null, null, bad, null, null, null)).as(bad)
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                    .hasMessageContaining("source_url");
        }
    }

    @Test
    void refsKeysAndNullListsFollowTheRules() {
        assertThat(new CreateOptions(null, null, "https://h/r", "release/1.2", null, null).sourceRef()).isEqualTo("release/1.2");
        for (String bad : List.of("-x", "--upload-pack=x", "a..b", "a b", "a;b", "")) {
            assertThatThrownBy(() -> new CreateOptions(null, null, "https://h/r", bad, null, null)).as(bad)
                    .hasMessageContaining("source_ref");
        }
        assertThatThrownBy(() -> new CreateOptions(null, null, null, "main", null, null)).hasMessageContaining("source_ref");
        for (String bad : List.of("1A", "A-B", "a/b", "..", "")) {
            assertThatThrownBy(() -> new CreateOptions(null, List.of(bad), null, null, null, null)).as(bad)
                    .hasMessageContaining("secret_files");
        }
        assertThatThrownBy(() -> new CreateOptions(null, List.of("A", "A"), null, null, null, null))
                .hasMessageContaining("secret_files");
        CreateOptions none = new CreateOptions(null, null, null, null, null, null);
        assertThat(none.isEmpty()).isTrue();
        assertThat(none).isEqualTo(CreateOptions.NONE);
        assertThatThrownBy(() -> Validation.snapshotName("bad name")).hasMessageContaining("snapshot name");
        assertThatThrownBy(() -> Validation.volumeName("-v")).hasMessageContaining("volume name");
        assertThatThrownBy(() -> Validation.secretKey("a.b")).hasMessageContaining("secret key");
    }

    @Test
    void portsAreValidNumbersListedOnce() {
        assertThat(CreateOptions.NONE.withPorts(List.of(8000, 3000)).ports()).containsExactly(8000, 3000);
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(List.of(0))).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(List.of(65536))).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(List.of(80, 80))).hasMessageContaining("twice");
        assertThatThrownBy(() -> CreateOptions.NONE.withPorts(java.util.Arrays.asList(80, null)))
                .hasMessageContaining("null");
    }
}
