package dev.agentkernel.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The README's and docs' code snippets are the examples' code: each {@code <!-- snippet: FILE#TAG -->} block must
 * equal that region of the source, and every region must be shown somewhere. To refresh the docs after editing an
 * example: {@code ./mvnw -pl examples test -Dtest=DocSnippetsTest -Dsnippets.update=true}.
 */
class DocSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path SOURCES = ROOT.resolve("examples/src/main/java");

    private static List<Path> docs() throws IOException {
        List<Path> docs = new ArrayList<>();
        if (Files.exists(ROOT.resolve("README.md"))) {
            docs.add(ROOT.resolve("README.md"));
        }
        Path dir = ROOT.resolve("docs");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
            }
        }
        return docs;
    }

    @Test
    void everyMarkedBlockEqualsItsRegion() throws IOException {
        boolean update = Boolean.getBoolean("snippets.update");
        List<String> stale = new ArrayList<>();
        for (Path doc : docs()) {
            if (update) {
                Files.writeString(doc, Snippets.rewrite(doc, ROOT));
            }
            for (Snippets.Use use : Snippets.uses(doc)) {
                if (!use.block().equals(Snippets.region(ROOT, use))) {
                    stale.add(ROOT.relativize(doc) + ":" + use.markerLine() + " (" + use.source() + "#" + use.tag() + ")");
                }
            }
        }
        assertThat(stale).as("code blocks that differ from the example sources; refresh with -Dsnippets.update=true")
                .isEmpty();
    }

    @Test
    void everyRegionIsShownInSomeDoc() throws IOException {
        Set<String> shown = new HashSet<>();
        for (Path doc : docs()) {
            Snippets.uses(doc).forEach(u -> shown.add(u.source() + "#" + u.tag()));
        }
        List<String> regions = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String rel = ROOT.relativize(f).toString();
                Snippets.regions(f).keySet().forEach(tag -> regions.add(rel + "#" + tag));
            }
        }
        assertThat(regions).as("example regions").hasSizeGreaterThanOrEqualTo(6);
        assertThat(shown).as("snippets shown in README.md or docs/*.md").containsAll(regions);
    }

    @Test
    void detectsAStaleBlockAndRewritesIt(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("A.java");
        Files.writeString(src, "class A {\n    void m() {\n        // tag::t[]\n        int x = 1;\n\n"
                + "        x++;\n        // end::t[]\n    }\n}\n");
        Path doc = tmp.resolve("doc.md");
        Files.writeString(doc, "# Doc\n<!-- snippet: A.java#t -->\n```java\nint x = 0;\n```\ntail\n");
        Snippets.Use use = Snippets.uses(doc).get(0);
        assertThat(use.block()).isEqualTo("int x = 0;");
        assertThat(Snippets.region(tmp, use)).isEqualTo("int x = 1;\n\nx++;");
        assertThat(Snippets.rewrite(doc, tmp))
                .isEqualTo("# Doc\n<!-- snippet: A.java#t -->\n```java\nint x = 1;\n\nx++;\n```\ntail\n");
    }

    @Test
    void refusesUnbalancedTagsAndMarkersWithoutBlock(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path src = tmp.resolve("B.java");
        Files.writeString(src, "// tag::a[]\nx\n");
        assertThatThrownBy(() -> Snippets.regions(src)).hasMessageContaining("never closed");
        Path doc = tmp.resolve("d.md");
        Files.writeString(doc, "<!-- snippet: B.java#a -->\ntext\n");
        assertThatThrownBy(() -> Snippets.uses(doc)).hasMessageContaining("not followed");
    }
}
