package dev.agentkernel.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the code blocks of the Markdown docs equal to regions of the example sources.
 *
 * <p>In a source, a region is the lines between {@code // tag::NAME[]} and {@code // end::NAME[]}. In a Markdown
 * file, a line {@code <!-- snippet: examples/src/main/java/.../File.java#NAME -->} is followed by a fenced code
 * block that must hold that region, dedented. Paths are relative to the project root.
 */
final class Snippets {
    static final Pattern MARKER = Pattern.compile("<!--\\s*snippet:\\s*(\\S+?)#([\\w.-]+)\\s*-->");
    private static final Pattern TAG = Pattern.compile("^\\s*// tag::([\\w.-]+)\\[]\\s*$");
    private static final Pattern END = Pattern.compile("^\\s*// end::([\\w.-]+)\\[]\\s*$");

    private Snippets() {
    }

    /** One marker of a Markdown file and the code block after it. */
    record Use(Path doc, int markerLine, String source, String tag, int blockStart, int blockEnd, String block) {
    }

    /** The regions of one source file by tag; fails on unbalanced or duplicate tags. */
    static Map<String, String> regions(Path source) {
        List<String> lines = read(source);
        Map<String, String> out = new LinkedHashMap<>();
        String open = null;
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            Matcher tag = TAG.matcher(lines.get(i));
            Matcher end = END.matcher(lines.get(i));
            if (tag.matches()) {
                if (open != null) {
                    throw new IllegalStateException(source + ":" + (i + 1) + ": tag " + tag.group(1)
                            + " opened inside " + open);
                }
                open = tag.group(1);
                start = i + 1;
            } else if (end.matches()) {
                if (!end.group(1).equals(open)) {
                    throw new IllegalStateException(source + ":" + (i + 1) + ": end::" + end.group(1)
                            + " does not close " + open);
                }
                if (out.put(open, dedent(lines.subList(start, i))) != null) {
                    throw new IllegalStateException(source + ": tag " + open + " appears twice");
                }
                open = null;
            }
        }
        if (open != null) {
            throw new IllegalStateException(source + ": tag " + open + " is never closed");
        }
        return out;
    }

    /** Every marker of a Markdown file with the fenced block that follows it. */
    static List<Use> uses(Path doc) {
        List<String> lines = read(doc);
        List<Use> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i).strip());
            if (!m.matches()) { // a marker is a line of its own; prose may mention the syntax
                continue;
            }
            int open = i + 1;
            while (open < lines.size() && lines.get(open).isBlank()) {
                open++;
            }
            if (open >= lines.size() || !lines.get(open).startsWith("```")) {
                throw new IllegalStateException(doc + ":" + (i + 1) + ": the snippet marker is not followed by a ``` block");
            }
            int close = open + 1;
            while (close < lines.size() && !lines.get(close).startsWith("```")) {
                close++;
            }
            if (close >= lines.size()) {
                throw new IllegalStateException(doc + ":" + (open + 1) + ": code block never closed");
            }
            out.add(new Use(doc, i + 1, m.group(1), m.group(2), open + 1, close,
                    String.join("\n", lines.subList(open + 1, close))));
        }
        return out;
    }

    /** The Markdown file with every marked block replaced by its region. */
    static String rewrite(Path doc, Path root) {
        List<String> lines = new ArrayList<>(read(doc));
        List<Use> uses = uses(doc);
        for (int u = uses.size() - 1; u >= 0; u--) {
            Use use = uses.get(u);
            String region = region(root, use);
            List<String> block = lines.subList(use.blockStart(), use.blockEnd());
            block.clear();
            block.addAll(List.of(region.split("\n", -1)));
        }
        return String.join("\n", lines) + "\n";
    }

    static String region(Path root, Use use) {
        String region = regions(root.resolve(use.source())).get(use.tag());
        if (region == null) {
            throw new IllegalStateException(use.doc() + ":" + use.markerLine() + ": no region '" + use.tag()
                    + "' in " + use.source());
        }
        return region;
    }

    static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.isBlank() ? "" : l.substring(indent).stripTrailing());
        }
        return String.join("\n", out);
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
