package dev.agentkernel.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * core depends on the JDK, SLF4J and Jackson only: no engine, HTTP framework, metrics library or CLI library may
 * leak in (metrics leave core through {@link KernelMetrics}).
 */
class ArchitectureTest {
    private static final Pattern FORBIDDEN = Pattern.compile(
            "^\\s*import\\s+(static\\s+)?(com\\.github\\.dockerjava|io\\.vertx|io\\.micrometer|picocli)\\.", Pattern.MULTILINE);
    /** Fully qualified use without an import counts too. */
    private static final Pattern QUALIFIED = Pattern.compile("\\b(com\\.github\\.dockerjava|io\\.vertx|io\\.micrometer|picocli)\\.[A-Za-z]");

    @Test
    void coreMainImportsNoDockerJavaVertxOrPicocli() throws IOException {
        Path main = Path.of("src/main/java");
        assertThat(main).isDirectory();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(main)) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).as("core sources found").isNotEmpty();
        List<String> offenders = sources.stream().filter(ArchitectureTest::offends).map(Path::toString).toList();
        assertThat(offenders).isEmpty();
    }

    @Test
    void theCheckRecognisesAnOffendingImport() {
        assertThat(FORBIDDEN.matcher("package x;\nimport com.github.dockerjava.api.DockerClient;\n").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import static io.vertx.core.Future.succeededFuture;").find()).isTrue();
        assertThat(QUALIFIED.matcher("picocli.CommandLine c;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import io.micrometer.core.instrument.Timer;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import java.util.List;").find()).isFalse();
    }

    private static boolean offends(Path p) {
        try {
            String text = Files.readString(p);
            return FORBIDDEN.matcher(text).find() || QUALIFIED.matcher(text).find();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
