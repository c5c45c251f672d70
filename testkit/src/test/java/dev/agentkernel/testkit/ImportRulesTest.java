package dev.agentkernel.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rule recognises what it must, so that every module's architecture test can fail. */
class ImportRulesTest {
    private final ImportRules core = ImportRules.mainSources()
            .mayImport("dev.agentkernel.api.", "dev.agentkernel.core.", "org.slf4j.", "com.fasterxml.jackson.")
            .mayNotImport("dev.agentkernel.core.internal.");

    @Test
    void anImportOutsideTheRuleIsAnOffence() {
        assertThat(core.violations("package x;\nimport com.github.dockerjava.api.DockerClient;\nimport java.util.List;"))
                .containsExactly("com.github.dockerjava.api.DockerClient");
        assertThat(core.violations("import static io.vertx.core.Future.succeededFuture;"))
                .containsExactly("io.vertx.core.Future.succeededFuture");
        assertThat(core.violations("import dev.agentkernel.core.internal.Gate;"))
                .containsExactly("dev.agentkernel.core.internal.Gate");
    }

    @Test
    void fullyQualifiedUseCountsButCommentsAndStringsDoNot() {
        assertThat(core.violations("class A { picocli.CommandLine c; }")).containsExactly("picocli.CommandLine");
        assertThat(core.violations("class A { Object o = new dev.agentkernel.docker.DockerBackend(); }"))
                .containsExactly("dev.agentkernel.docker.DockerBackend");
        assertThat(core.violations("/** see {@link io.vertx.core.Vertx} */ class A { String s = \"io.vertx.x\"; }"))
                .isEmpty();
    }

    @Test
    void whatTheRuleAllowsPasses() {
        assertThat(core.violations("import java.util.List;\nimport dev.agentkernel.api.ExecResult;\n"
                + "import org.slf4j.Logger;\nclass A { dev.agentkernel.core.Backend b; }")).isEmpty();
    }

    @Test
    void thisModuleKeepsItsOwnRule() {
        ImportRules.mainSources().mayImport("dev.agentkernel.testkit.", "org.assertj.", "org.junit.", "javax.imageio.")
                .check();
        assertThatThrownBy(() -> ImportRules.sourcesUnder(Path.of("src/main/java")).check())
                .as("without AssertJ allowed, this module breaks the rule").isInstanceOf(AssertionError.class);
    }
}
