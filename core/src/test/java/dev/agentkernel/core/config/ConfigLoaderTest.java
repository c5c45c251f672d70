package dev.agentkernel.core.config;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.BackendSettings;
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
                adaptive = false
                create_parallelism = 6
                [limits]
                timeout_ms = 1500
                max_output_bytes = 100
                max_file_bytes = 200
                max_concurrent_runs = 5
                max_execs_per_sandbox = 3
                max_queued_runs = 7
                queue_timeout_ms = 2500
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
        assertThat(c.pool()).isEqualTo(new AgentKernelConfig.Pool(3, 9, false, 6));
        assertThat(c.limits()).isEqualTo(new AgentKernelConfig.Limits(Duration.ofMillis(1500), 100, 200, 5, 3,
                AgentKernelConfig.Limits.DEFAULT_MAX_TIMEOUT, 7, Duration.ofMillis(2500)));
        assertThat(c.audit()).isEqualTo(new AgentKernelConfig.Audit(home.resolve("logs/a.jsonl"), false));
        assertThat(c.images()).containsEntry("python3", "agentkernel/python:local").containsEntry("g++", "gcc:13");
    }

    @Test
    void theDockerSectionIsHandedToTheBackendAndItsVariablesOverrideIt() throws Exception {
        file("""
                [sandbox]
                backend = "docker"
                [docker]
                host = "tcp://127.0.0.1:2375"
                pull = true
                exec = "agent"
                """);
        AgentKernelConfig c = load(Map.of("AGENTKERNEL_DOCKER_PULL", "false"));
        assertThat(c.backendProperties()).containsEntry("docker.host", "tcp://127.0.0.1:2375")
                .containsEntry("docker.pull", "false").containsEntry("docker.exec", "agent");
        BackendSettings settings = BackendSettings.from(c, "me", BackendSettings.PULL_NONE);
        assertThat(settings.backendId()).isEqualTo("docker");
        assertThat(settings.property("docker.host", null)).isEqualTo("tcp://127.0.0.1:2375");
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
        c = load(Map.of("AGENTKERNEL_MAX_QUEUED_RUNS", "0", "AGENTKERNEL_QUEUE_TIMEOUT_MS", "5",
                "AGENTKERNEL_POOL_ADAPTIVE", "0", "AGENTKERNEL_POOL_CREATE_PARALLELISM", "2"));
        assertThat(c.limits().maxQueuedRuns()).isZero();
        assertThat(c.limits().queueTimeout()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.pool().adaptive()).isFalse();
        assertThat(c.pool().createParallelism()).isEqualTo(2);
    }

    @Test
    void aBurstIsQueuedByDefaultAndThePoolAdapts() throws Exception {
        AgentKernelConfig c = load(Map.of());
        assertThat(c.limits().maxQueuedRuns()).isEqualTo(1000);
        assertThat(c.limits().queueTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.pool()).isEqualTo(new AgentKernelConfig.Pool(2, 128, true, 4));
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
    void theKubernetesSectionReachesTheBackendAsFlatProperties() throws Exception {
        file("""
                [kubernetes]
                namespace = "sandboxes"
                image_pull_secrets = ["regcred", "other"]
                [kubernetes.runtime_class]
                restrictive = "gvisor"
                [kubernetes.node_selector]
                "agentkernel.dev/pool" = "sandboxes"
                """);
        AgentKernelConfig c = load(Map.of("AGENTKERNEL_KUBERNETES_CONTEXT", "kind-kind",
                "AGENTKERNEL_KUBERNETES_RUNTIME_CLASS__MODERATE", "kata"));
        assertThat(c.backendProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "kubernetes.namespace", "sandboxes",
                "kubernetes.image_pull_secrets", "regcred,other",
                "kubernetes.runtime_class.restrictive", "gvisor",
                "kubernetes.runtime_class.moderate", "kata",
                "kubernetes.node_selector.agentkernel.dev/pool", "sandboxes",
                "kubernetes.context", "kind-kind"));
        file("[kubernetes]\ntolerations = [{ key = \"x\" }]\n");
        assertThatThrownBy(() -> load(Map.of())).hasMessageContaining("kubernetes.tolerations");
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
                new String[]{"[limits]\nqueue_timeout_ms = -1\n", "'limits.queue_timeout_ms'"},
                new String[]{"[pool]\ncreate_parallelism = 0\n", "'pool.create_parallelism'"},
                new String[]{"[pool]\nadaptive = 3\n", "'pool.adaptive'"},
                new String[]{"[images]\npython = 3\n", "'images.python'"},
                new String[]{"[sandbox]\npull_registries = [\"a b\"]\n", "'sandbox.pull_registries'"},
                new String[]{"[profiles.loose]\nruntime = \"runsc\"\n", "Unknown config key 'profiles.loose'"},
                new String[]{"[profiles.moderate]\nruntim = \"runsc\"\n", "Unknown config key 'profiles.moderate.runtim'"},
                new String[]{"[profiles.moderate]\nruntime = \"run sc\"\n", "'profiles.moderate.runtime'"},
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

    @Test
    void pullRegistriesAndProfileRuntimesReachTheBackendSettings() throws Exception {
        AgentKernelConfig unset = load(Map.of());
        assertThat(unset.sandbox().pullRegistries()).as("unset: each command decides").isNull();
        assertThat(dev.agentkernel.core.BackendSettings.from(unset, "i", dev.agentkernel.core.BackendSettings.PULL_NONE)
                .properties()).containsEntry("pull.registries", "").doesNotContainKey("runtime.moderate");

        file("[sandbox]\npull_registries = [\"ghcr.io\", \"registry.example.com:5000\"]\n"
                + "[profiles.moderate]\nruntime = \"runsc\"\n");
        AgentKernelConfig c = load(Map.of());
        assertThat(c.sandbox().pullRegistries()).containsExactly("ghcr.io", "registry.example.com:5000");
        assertThat(c.backendProperties()).containsEntry("runtime.moderate", "runsc");
        assertThat(dev.agentkernel.core.BackendSettings.from(c, "i", dev.agentkernel.core.BackendSettings.PULL_ANY)
                .properties()).containsEntry("pull.registries", "ghcr.io,registry.example.com:5000")
                .containsEntry("runtime.moderate", "runsc");
        assertThat(load(Map.of("AGENTKERNEL_PULL_REGISTRIES", "")).sandbox().pullRegistries()).as("env: none").isEmpty();
    }

    @Test
    void thePortsSectionAndItsVariables() throws Exception {
        assertThat(load(Map.of()).ports()).isEqualTo(AgentKernelConfig.Ports.DEFAULTS);
        file("""
                [ports]
                max_connections_per_sandbox = 5
                max_exposed_per_sandbox = 3
                url_max_ttl = "2h"
                preview_domain = "Preview.Example.com"
                """);
        AgentKernelConfig.Ports p = load(Map.of()).ports();
        assertThat(p).isEqualTo(new AgentKernelConfig.Ports(5, 3, Duration.ofHours(2), "preview.example.com"));
        assertThat(load(Map.of("AGENTKERNEL_PORTS_MAX_CONNECTIONS_PER_SANDBOX", "7",
                "AGENTKERNEL_PORTS_PREVIEW_DOMAIN", "localhost")).ports())
                .isEqualTo(new AgentKernelConfig.Ports(7, 3, Duration.ofHours(2), "localhost"));
        for (String bad : List.of("max_connections_per_sandbox = 0", "url_max_ttl = \"30d\"",
                "preview_domain = \"evil.com/x\"", "preview_domain = \"-a.com\"")) {
            file("[ports]\n" + bad + "\n");
            assertThatThrownBy(() -> load(Map.of())).as(bad)
                    .isInstanceOf(AgentKernelException.InvalidRequestException.class)
                    .hasMessageContaining("ports." + bad.substring(0, bad.indexOf(' ')));
        }
    }
}
