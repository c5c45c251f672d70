package dev.agentkernel.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The api module is what every front end and every client compiles against: it depends on the JDK alone, so that
 * neither a remote client nor an embedder drags in an engine, an HTTP stack, a JSON library or a logger.
 */
class ApiArchitectureTest {
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);

    @Test
    void apiImportsOnlyTheJdkAndItself() throws IOException {
        List<Path> sources;
        try (Stream<Path> s = Files.walk(Path.of("src/main/java"))) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(sources).as("api sources found").isNotEmpty();
        for (Path source : sources) {
            assertThat(foreignImports(Files.readString(source))).as("foreign imports in %s", source).isEmpty();
        }
    }

    @Test
    void theCheckRecognisesAForeignImport() {
        assertThat(foreignImports("import com.fasterxml.jackson.databind.ObjectMapper;\nimport java.util.List;"))
                .containsExactly("com.fasterxml.jackson.databind.ObjectMapper");
        assertThat(foreignImports("import static dev.agentkernel.core.AgentKernel.builder;"))
                .containsExactly("dev.agentkernel.core.AgentKernel.builder");
    }

    private static List<String> foreignImports(String text) {
        Matcher m = IMPORT.matcher(text);
        List<String> foreign = new ArrayList<>();
        while (m.find()) {
            String name = m.group(1);
            if (!name.startsWith("java.") && !name.startsWith("dev.agentkernel.api.")) {
                foreign.add(name);
            }
        }
        return foreign;
    }
}
