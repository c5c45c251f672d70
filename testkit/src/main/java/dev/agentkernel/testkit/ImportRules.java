package dev.agentkernel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a module's sources may import: the JDK ({@code java.*}) always, then the packages given to
 * {@link #mayImport}, minus those given to {@link #mayNotImport}. Imports are checked, and so is fully qualified
 * use of the packages the project cares about (an engine, an HTTP stack, a CLI library, another module), which
 * needs no import. Each module's {@code ArchitectureTest} states its rule with this.
 */
public final class ImportRules {
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+)",
            Pattern.MULTILINE);
    /** Roots whose fully qualified use (without an import) counts as an import too. */
    private static final List<String> WATCHED = List.of("com.github.dockerjava.", "io.vertx.", "io.netty.",
            "picocli.", "io.fabric8.", "io.modelcontextprotocol.", "com.fasterxml.jackson.", "org.slf4j.",
            "dev.agentkernel.");

    private final Path root;
    private final List<String> allowed = new ArrayList<>(List.of("java."));
    private final List<String> denied = new ArrayList<>();

    private ImportRules(Path root) {
        this.root = root;
    }

    /** The module's main sources ({@code src/main/java}, the working directory of its tests). */
    public static ImportRules mainSources() {
        return new ImportRules(Path.of("src/main/java"));
    }

    /** Sources under another folder (e.g. a test-only module's {@code src/test/java}). */
    public static ImportRules sourcesUnder(Path root) {
        return new ImportRules(root);
    }

    /** Package prefixes (e.g. {@code "dev.agentkernel.api."}) this module may import. */
    public ImportRules mayImport(String... prefixes) {
        allowed.addAll(List.of(prefixes));
        return this;
    }

    /** Package prefixes that stay forbidden although a broader allowed prefix covers them. */
    public ImportRules mayNotImport(String... prefixes) {
        denied.addAll(List.of(prefixes));
        return this;
    }

    /** Asserts that no source file breaks the rule; the failure lists every offending file and name. */
    public void check() {
        assertThat(root).as("sources of this module").isDirectory();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(root)) {
            sources = s.filter(p -> p.toString().endsWith(".java")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(sources).as("sources under %s", root).isNotEmpty();
        List<String> offences = new ArrayList<>();
        for (Path source : sources) {
            try {
                violations(Files.readString(source)).forEach(v -> offences.add(source + ": " + v));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertThat(offences).as("imports this module may not use").isEmpty();
    }

    /** The names in {@code source} this rule forbids (imports, and fully qualified uses of watched roots). */
    public List<String> violations(String source) {
        List<String> out = new ArrayList<>();
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
            if (!permitted(m.group(1))) {
                out.add(m.group(1));
            }
        }
        String code = withoutImportsAndComments(source);
        for (String watched : WATCHED) {
            Matcher q = Pattern.compile("(?<![\\w.])" + Pattern.quote(watched) + "[\\w.]*").matcher(code);
            while (q.find()) {
                if (!permitted(q.group()) && !out.contains(q.group())) {
                    out.add(q.group());
                }
            }
        }
        return out;
    }

    private boolean permitted(String name) {
        String n = name + ".";
        return allowed.stream().anyMatch(n::startsWith) && denied.stream().noneMatch(n::startsWith);
    }

    /** Import and package lines, comments, string, text-block and char literals removed: what is left is code. */
    private static String withoutImportsAndComments(String source) {
        String s = source.replaceAll("(?m)^\\s*(import|package)\\s+[^;]+;", "");
        StringBuilder code = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                i = end(s.indexOf('\n', i), s.length());
            } else if (s.startsWith("/*", i)) {
                i = end(s.indexOf("*/", i + 2), s.length() - 2) + 2;
            } else if (s.startsWith("\"\"\"", i)) {
                i = end(s.indexOf("\"\"\"", i + 3), s.length() - 3) + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                i = Math.min(j + 1, s.length());
                code.append("\"\"");
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }

    private static int end(int found, int otherwise) {
        return found < 0 ? Math.max(otherwise, 0) : found;
    }
}
