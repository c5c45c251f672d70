package dev.agentkernel.connect;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.BackendSettings;
import dev.agentkernel.core.config.AgentKernelConfig;
import dev.agentkernel.core.testing.FakeBackendProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SandboxesFactoryTest {
    @TempDir
    Path tmp;

    private AgentKernelConfig fakeConfig(String engine) {
        AgentKernelConfig d = AgentKernelConfig.forTests(tmp.resolve("audit.jsonl"));
        return d.withSandbox(new AgentKernelConfig.Sandbox(d.sandbox().image(), d.sandbox().profile(),
                FakeBackendProvider.ID)).withBackendProperties(Map.of(FakeBackendProvider.ID + ".name", engine));
    }

    @Test
    void aUrlOptionThenTheEnvironmentChooseAServerElseTheConfigurationIsLoaded() {
        AtomicInteger loads = new AtomicInteger();
        Map<String, String> env = Map.of(Target.BASE_URL_ENV, "http://env:1", Target.API_KEY_ENV, "k");
        Target fromOption = Target.choose("http://option:2", env, () -> {
            loads.incrementAndGet();
            return AgentKernelConfig.defaults();
        }, "me", BackendSettings.PULL_ANY);
        assertThat(fromOption).isEqualTo(new Target.Remote("http://option:2", "k"));
        assertThat(fromOption.toString()).doesNotContain("k]").contains("option");
        assertThat(Target.choose(null, env, AgentKernelConfig::defaults, "me", BackendSettings.PULL_ANY))
                .isEqualTo(new Target.Remote("http://env:1", "k"));
        assertThat(loads).as("no configuration is read for a server").hasValue(0);
        Target embedded = Target.choose(" ", Map.of(), () -> {
            loads.incrementAndGet();
            return AgentKernelConfig.defaults();
        }, "me", BackendSettings.PULL_NONE);
        assertThat(embedded).isInstanceOf(Target.Embedded.class);
        assertThat(embedded.describe()).isEqualTo("embedded (auto)");
        assertThat(loads).hasValue(1);
    }

    @Test
    void opensAStartedKernelOrTheClientOfAServer() {
        String engine = "factory-" + UUID.randomUUID();
        List<AgentKernelConfig> prepared = new java.util.ArrayList<>();
        try (Sandboxes embedded = new SandboxesFactory(prepared::add).open(new Target.Embedded(fakeConfig(engine), "me", BackendSettings.PULL_ANY))) {
            assertThat(embedded).isInstanceOf(AgentKernel.class);
            assertThat(prepared).hasSize(1);
            embedded.create(SandboxSpec.named("made-here"));
            assertThat(FakeBackendProvider.engine(engine).names()).containsExactly("made-here");
        }
        try (Sandboxes remote = new SandboxesFactory(prepared::add).open(new Target.Remote("http://127.0.0.1:1", null))) {
            assertThat(remote).isInstanceOf(AgentKernelClient.class);
            assertThat(prepared).as("nothing to prepare for a server").hasSize(1);
        }
        assertThatThrownBy(() -> new SandboxesFactory().open(new Target.Remote("localhost:18888", null)))
                .isInstanceOf(AgentKernelException.InvalidRequestException.class).hasMessageContaining("localhost:18888");
    }

    @Test
    void lazySandboxesOpenOnFirstUseRetryAfterAFailureAndRefuseOnceClosed() {
        String engine = "lazy-" + UUID.randomUUID();
        AtomicInteger attempts = new AtomicInteger();
        LazySandboxes lazy = new LazySandboxes(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new AgentKernelException.BackendUnavailableException("engine down", null);
            }
            return new SandboxesFactory().open(new Target.Embedded(fakeConfig(engine), "me", BackendSettings.PULL_ANY));
        });
        assertThat(attempts).as("nothing is opened before the first call").hasValue(0);
        assertThatThrownBy(lazy::list).hasMessage("engine down");
        assertThat(lazy.create(SandboxSpec.named("second-try")).name()).isEqualTo("second-try");
        assertThat(lazy.list()).extracting(i -> i.name()).containsExactly("second-try");
        assertThat(attempts).hasValue(2);
        lazy.close();
        lazy.close();
        assertThatThrownBy(lazy::list).isInstanceOfSatisfying(AgentKernelException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE));
        assertThat(attempts).hasValue(2);
    }
}
