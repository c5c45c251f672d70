package dev.agentkernel.core.config;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path work;
    @TempDir
    Path home;

    private AgentKernelConfig load(Map<String, String> env) {
        return ConfigLoader.load(null, env, work, home);
    }

    private void file(String toml) throws Exception {
        Files.writeString(work.resolve("agentkernel.toml"), toml);
    }

    @Test
    void noFileGivesTheDefaultsWithTheAuditLogInHome() {
        AgentKernelConfig c = load(Map.of());
        assertThat(c.server().port()).isEqualTo(18888);
        assertThat(c.server().host()).isEqualTo("127.0.0.1");
        assertThat(c.sandbox().image()).isEqualTo("agentkernel/busybox:local");
        assertThat(c.audit().path()).isEqualTo(home.resolve(".agentkernel/audit.jsonl"));
        assertThat(c.audit().enabled()).isTrue();
    }

    @Test
    void everySectionIsRead() throws Exception {
        file("""
                [server]
                host = "0.0.0.0"
                port = 9000
                allowed_hosts = ["box.local"]
                max_body_bytes = 1024
                [sandbox]
                image = "agentkernel/python:local"
                profile = "restrictive"
                backend = "docker"
                [resources]
                vcpus = 2
                memory_mb = 1024
                [pool]
                size = 3
                max = 9
                [limits]
                timeout_ms = 1500
                max_output_bytes = 100
                max_file_bytes = 200
                max_concurrent_runs = 5
                max_execs_per_sandbox = 3
                [audit]
                path = "~/logs/a.jsonl"
                enabled = false
                [images]
                python3 = "agentkernel/python:local"
                "g++" = "gcc:13"
                """);
        AgentKernelConfig c = load(Map.of());
        assertThat(c.server().host()).isEqualTo("0.0.0.0");
        assertThat(c.server().port()).isEqualTo(9000);
        assertThat(c.server().allowedHosts()).containsExactly("box.local");
        assertThat(c.server().maxBodyBytes()).isEqualTo(1024);
        assertThat(c.sandbox().image()).isEqualTo("agentkernel/python:local");
        assertThat(c.sandbox().profile()).isEqualTo(SecurityProfile.RESTRICTIVE);
        assertThat(c.sandbox().backend()).isEqualTo("docker");
        assertThat(c.resources()).isEqualTo(new AgentKernelConfig.Resources(2, 1024));
        assertThat(c.pool()).isEqualTo(new AgentKernelConfig.Pool(3, 9));
        assertThat(c.limits()).isEqualTo(new AgentKernelConfig.Limits(Duration.ofMillis(1500), 100, 200, 5, 3));
        assertThat(c.audit()).isEqualTo(new AgentKernelConfig.Audit(home.resolve("logs/a.jsonl"), false));
        assertThat(c.images()).containsEntry("python3", "agentkernel/python:local").containsEntry("g++", "gcc:13");
    }

    @Test
    void eachBackendHasItsOwnSectionHandedToItAsProperties() throws Exception {
        file("""
                [sandbox]
                backend = "docker"
                [backends.docker]
                host = "tcp://127.0.0.1:2375"
                pull = false
                [backends.kubernetes]
                namespace = "sandboxes"
                """);
        AgentKernelConfig c = load(Map.of());
        assertThat(c.backends()).containsOnlyKeys("docker", "kubernetes");
        assertThat(c.backendProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "docker.host", "tcp://127.0.0.1:2375", "docker.pull", "false", "kubernetes.namespace", "sandboxes"));
        assertThat(dev.agentkernel.core.BackendSettings.fromConfig(c, "me").properties())
                .isEqualTo(c.backendProperties());
        assertThat(dev.agentkernel.core.BackendSettings.fromConfig(c, "me").backendId()).isEqualTo("docker");
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        file("[server]\nport = 9000\n[pool]\nsize = 3\n");
        AgentKernelConfig c = load(Map.of("AGENTKERNEL_PORT", "7000", "AGENTKERNEL_AUDIT", "0",
                "AGENTKERNEL_POOL_SIZE", "0", "AGENTKERNEL_AUDIT_PATH", "/var/log/ak.jsonl",
                "AGENTKERNEL_PROFILE", "permissive", "AGENTKERNEL_TIMEOUT_MS", "42",
                "AGENTKERNEL_MAX_EXECS_PER_SANDBOX", "2"));
        assertThat(c.server().port()).isEqualTo(7000);
        assertThat(c.audit().enabled()).isFalse();
        assertThat(c.audit().path()).isEqualTo(Path.of("/var/log/ak.jsonl"));
        assertThat(c.pool().size()).isZero();
        assertThat(c.sandbox().profile()).isEqualTo(SecurityProfile.PERMISSIVE);
        assertThat(c.limits().timeout()).isEqualTo(Duration.ofMillis(42));
        assertThat(c.limits().maxExecsPerSandbox()).isEqualTo(2);
    }

    @Test
    void maxTimeoutDefaultsToADayAndIsConfigurable() throws Exception {
        assertThat(load(Map.of()).limits().maxTimeout()).isEqualTo(Duration.ofHours(24));
        file("[limits]\nmax_timeout_ms = 3600000\n");
        assertThat(load(Map.of()).limits().maxTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(load(Map.of("AGENTKERNEL_MAX_TIMEOUT_MS", "60000", "AGENTKERNEL_TIMEOUT_MS", "1000")).limits()
                .maxTimeout()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void maxExecsPerSandboxDefaultsToEight() throws Exception {
        file("[limits]\nmax_concurrent_runs = 5\n");
        assertThat(load(Map.of()).limits().maxExecsPerSandbox()).isEqualTo(8);
    }

    @Test
    void homeConfigIsUsedWhenThereIsNoLocalFileAndTheLocalOneWins() throws Exception {
        Files.createDirectories(home.resolve(".agentkernel"));
        Files.writeString(home.resolve(".agentkernel/config.toml"), "[server]\nport = 1111\n");
        assertThat(load(Map.of()).server().port()).isEqualTo(1111);
        file("[server]\nport = 2222\n");
        assertThat(load(Map.of()).server().port()).isEqualTo(2222);
    }

    @Test
    void explicitFileMustExist() throws Exception {
        assertThatThrownBy(() -> load(Map.of("AGENTKERNEL_CONFIG", work.resolve("nope.toml").toString())))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("nope.toml");
        Path f = work.resolve("other.toml");
        Files.writeString(f, "[pool]\nmax = 3\n");
        assertThat(ConfigLoader.load(f, Map.of(), work, home).pool().max()).isEqualTo(3);
    }

    @Test
    void unknownKeysAndBadValuesAreClearErrors() throws Exception {
        List<String[]> cases = List.of(
                new String[]{"[server]\nprot = 1\n", "Unknown config key 'server.prot'"},
                new String[]{"[nonsense]\na = 1\n", "Unknown config key 'nonsense'"},
                new String[]{"port = 1\n", "Unknown config key 'port'"},
                new String[]{"[server]\nport = \"x\"\n", "'server.port'"},
                new String[]{"[server]\nport = 70000\n", "between 1 and 65535"},
                new String[]{"[sandbox]\nprofile = \"loose\"\n", "'sandbox.profile'"},
                new String[]{"[sandbox]\nimage = \"bad image\"\n", "'sandbox.image'"},
                new String[]{"[resources]\nvcpus = 0\n", "'resources.vcpus'"},
                new String[]{"[audit]\nenabled = \"yes\"\n", "'audit.enabled'"},
                new String[]{"[limits]\nmax_concurrent_runs = 0\n", "'limits.max_concurrent_runs'"},
                new String[]{"[limits]\nmax_execs_per_sandbox = 0\n", "'limits.max_execs_per_sandbox'"},
                new String[]{"[images]\npython = 3\n", "'images.python'"},
                new String[]{"[backends]\nhost = \"x\"\n", "'backends.host'"},
                new String[]{"[backends.docker]\nhost = [\"x\"]\n", "'backends.docker.host'"},
                // every number has an upper bound
                new String[]{"[limits]\ntimeout_ms = 9223372036854775807\n", "'limits.timeout_ms'"},
                new String[]{"[limits]\nmax_timeout_ms = 2592000001\n", "between 1 and 2592000000"},
                new String[]{"[limits]\nmax_output_bytes = 1073741825\n", "'limits.max_output_bytes'"},
                new String[]{"[limits]\nmax_file_bytes = 9223372036854775807\n", "'limits.max_file_bytes'"},
                new String[]{"[limits]\nmax_concurrent_runs = 100001\n", "'limits.max_concurrent_runs'"},
                new String[]{"[server]\nmax_body_bytes = 1073741825\n", "'server.max_body_bytes'"},
                new String[]{"[server]\nidle_timeout_ms = 86400001\n", "'server.idle_timeout_ms'"},
                new String[]{"[server]\nshutdown_grace_ms = 3600001\n", "'server.shutdown_grace_ms'"},
                new String[]{"[limits]\ntimeout_ms = 7200000\nmax_timeout_ms = 3600000\n", "limits.max_timeout_ms"},
                new String[]{"[server\nport = 1\n", "Invalid config file"});
        for (String[] c : cases) {
            file(c[0]);
            assertThatThrownBy(() -> load(Map.of()), c[0])
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                    .hasMessageContaining(c[1])
                    .hasMessageContaining("agentkernel.toml");
        }
    }

    @Test
    void badEnvironmentValuesNameTheVariable() {
        assertThatThrownBy(() -> load(Map.of("AGENTKERNEL_PORT", "eighty")))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                .hasMessageContaining("AGENTKERNEL_PORT").hasMessageContaining("integer");
        assertThatThrownBy(() -> load(Map.of("AGENTKERNEL_AUDIT", "maybe")))
                .hasMessageContaining("AGENTKERNEL_AUDIT");
    }
}
