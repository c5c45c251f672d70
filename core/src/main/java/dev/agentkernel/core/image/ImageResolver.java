package dev.agentkernel.core.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Chooses the image of a command when the caller gave none. Thread-safe.
 *
 * <p>Order: (1) a per-program override from {@code [images]} in the config, used as given; (2) the table below
 * by the program, the basename of {@code argv[0]} (so {@code /usr/bin/python3} is {@code python3}); (3) when the
 * program is a shell or base tool or unknown and a project directory is given (the CLI), the project files
 * below; (4) for base tools, the base image; (5) otherwise the configured fallback image ({@code [sandbox] image}).
 *
 * <table>
 *   <caption>Programs</caption>
 *   <tr><th>program</th><th>image</th><th>local alternative (offline)</th></tr>
 *   <tr><td>python, python3, pip, pip3</td><td>{@code python:3.12-alpine}</td><td>{@code agentkernel/python:local}</td></tr>
 *   <tr><td>node, npm, npx</td><td>{@code node:22-alpine}</td><td>-</td></tr>
 *   <tr><td>ruby, bundle, gem</td><td>{@code ruby:3.3-alpine}</td><td>-</td></tr>
 *   <tr><td>go</td><td>{@code golang:1.23-alpine}</td><td>-</td></tr>
 *   <tr><td>cargo, rustc</td><td>{@code rust:1.83-slim}</td><td>-</td></tr>
 *   <tr><td>java, javac, mvn, gradle</td><td>{@code eclipse-temurin:21-jdk}</td><td>-</td></tr>
 *   <tr><td>gcc, g++, cc, make</td><td>{@code gcc:14}</td><td>-</td></tr>
 *   <tr><td>php</td><td>{@code php:8.3-cli-alpine}</td><td>-</td></tr>
 *   <tr><td>sh, bash, echo, ls, cat, true, false, sleep, env, printf, grep, sed, awk, head, tail, wc, touch,
 *       mkdir, rm, cp, mv, pwd, id, whoami, uname, date, hostname, test</td>
 *       <td>{@code busybox:1.36}</td><td>{@code agentkernel/busybox:local}</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Project files (first match in this order)</caption>
 *   <tr><th>file</th><th>as program</th></tr>
 *   <tr><td>pyproject.toml, requirements.txt</td><td>python</td></tr>
 *   <tr><td>package.json</td><td>node</td></tr>
 *   <tr><td>Cargo.toml</td><td>cargo</td></tr>
 *   <tr><td>go.mod</td><td>go</td></tr>
 *   <tr><td>pom.xml</td><td>java</td></tr>
 *   <tr><td>Gemfile</td><td>ruby</td></tr>
 * </table>
 *
 * <p>Offline hosts: when the detected image (or an image a caller named, see {@link #offlineAlternative}) is
 * neither present nor pullable (the backend's {@code imageAvailable}), its local alternative is used and
 * {@link Choice#note()} says so. Availability answers
 * are cached for {@link #AVAILABILITY_TTL} so a busy server does not ask the engine on every run.
 */
public final class ImageResolver {
    public static final Duration AVAILABILITY_TTL = Duration.ofSeconds(30);

    private static final Map<String, String> PROGRAMS = new LinkedHashMap<>();
    private static final Map<String, String> DEFAULT_ALTERNATIVES = Map.of(
            "python:3.12-alpine", "agentkernel/python:local",
            "busybox:1.36", "agentkernel/busybox:local");
    private static final String BASE_IMAGE = "busybox:1.36";
    private static final List<Map.Entry<String, String>> PROJECT_FILES = List.of(
            Map.entry("pyproject.toml", "python"), Map.entry("requirements.txt", "python"),
            Map.entry("package.json", "node"), Map.entry("Cargo.toml", "cargo"), Map.entry("go.mod", "go"),
            Map.entry("pom.xml", "java"), Map.entry("Gemfile", "ruby"));

    static {
        table("python:3.12-alpine", "python", "python3", "pip", "pip3");
        table("node:22-alpine", "node", "npm", "npx");
        table("ruby:3.3-alpine", "ruby", "bundle", "gem");
        table("golang:1.23-alpine", "go");
        table("rust:1.83-slim", "cargo", "rustc");
        table("eclipse-temurin:21-jdk", "java", "javac", "mvn", "gradle");
        table("gcc:14", "gcc", "g++", "cc", "make");
        table("php:8.3-cli-alpine", "php");
        table(BASE_IMAGE, "sh", "bash", "echo", "ls", "cat", "true", "false", "sleep", "env", "printf", "grep", "sed",
                "awk", "head", "tail", "wc", "touch", "mkdir", "rm", "cp", "mv", "pwd", "id", "whoami", "uname", "date",
                "hostname", "test");
    }

    private static void table(String image, String... programs) {
        for (String p : programs) {
            PROGRAMS.put(p, image);
        }
    }

    /** The image chosen and, when it is not the one detected, why. */
    public record Choice(String image, String note) {
        public Choice {
            Objects.requireNonNull(image, "image");
        }
    }

    private final Map<String, String> overrides;
    private final String fallback;
    private final Map<String, String> alternatives;
    private final Map<String, Cached> availability = new ConcurrentHashMap<>();

    private record Cached(boolean available, long expiresNanos) {
    }

    /**
     * @param overrides    program → image, from {@code [images]}; used as given
     * @param fallback     image for programs not in the table
     * @param alternatives detected image → local image used when the detected one is unavailable; null for the
     *                     defaults ({@code python:3.12-alpine → agentkernel/python:local},
     *                     {@code busybox:1.36 → agentkernel/busybox:local})
     */
    public ImageResolver(Map<String, String> overrides, String fallback, Map<String, String> alternatives) {
        this.overrides = overrides == null ? Map.of() : Map.copyOf(overrides);
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        this.alternatives = alternatives == null ? DEFAULT_ALTERNATIVES : Map.copyOf(alternatives);
    }

    /** The image the table gives for a program, without availability checks; empty when not in the table. */
    public static Optional<String> tableImage(String program) {
        return Optional.ofNullable(PROGRAMS.get(basename(program)));
    }

    /** The program a project directory implies (by its files), e.g. {@code python}; empty when none. */
    public static Optional<String> projectProgram(Path directory) {
        if (directory == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, String> e : PROJECT_FILES) {
            if (Files.isRegularFile(directory.resolve(e.getKey()))) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** Resolves for a command (server, library). */
    public Choice resolve(List<String> argv, Predicate<String> imageAvailable) {
        return resolve(argv, null, imageAvailable);
    }

    /** Resolves for a command run in {@code projectDirectory} (the CLI); the directory may be null. */
    public Choice resolve(List<String> argv, Path projectDirectory, Predicate<String> imageAvailable) {
        String program = basename(argv.get(0));
        String override = overrides.get(program);
        if (override != null) {
            return new Choice(override, null);
        }
        String detected = PROGRAMS.get(program);
        if (detected == null || detected.equals(BASE_IMAGE)) {
            Optional<String> fromProject = projectProgram(projectDirectory);
            if (fromProject.isPresent()) {
                String projectOverride = overrides.get(fromProject.get());
                if (projectOverride != null) {
                    return new Choice(projectOverride, null);
                }
                detected = PROGRAMS.get(fromProject.get());
            }
        }
        if (detected == null) {
            return new Choice(fallback, null);
        }
        return offlineAlternative(detected, imageAvailable);
    }

    /**
     * The image itself, or its configured local alternative when the image is neither present nor pullable
     * (the note then says so). Applies to images a caller named too. Only images that have an alternative are
     * checked; without a usable alternative the image is kept, so creation fails with a clear image error.
     */
    public Choice offlineAlternative(String image, Predicate<String> imageAvailable) {
        String alternative = alternatives.get(image);
        if (alternative == null || available(image, imageAvailable)) {
            return new Choice(image, null);
        }
        if (available(alternative, imageAvailable)) {
            return new Choice(alternative, image + " is not available here (offline, cannot be pulled);"
                    + " using the local alternative " + alternative);
        }
        return new Choice(image, null);
    }

    private boolean available(String image, Predicate<String> check) {
        long now = System.nanoTime();
        Cached c = availability.get(image);
        if (c != null && c.expiresNanos - now > 0) {
            return c.available;
        }
        boolean answer;
        try {
            answer = check.test(image);
        } catch (RuntimeException e) {
            answer = false;
        }
        availability.put(image, new Cached(answer, now + AVAILABILITY_TTL.toNanos()));
        return answer;
    }

    private static String basename(String program) {
        int slash = program.lastIndexOf('/');
        return slash >= 0 ? program.substring(slash + 1) : program;
    }
}
