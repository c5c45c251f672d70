package dev.agentkernel.core.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

class ImageResolverTest {
    private static final Predicate<String> EVERYTHING = i -> true;
    private static final Predicate<String> OFFLINE = Set.of("agentkernel/busybox:local", "agentkernel/python:local")::contains;

    private final ImageResolver resolver = new ImageResolver(Map.of(), "fallback:1", null);

    private String image(Predicate<String> available, String... argv) {
        return resolver.resolve(List.of(argv), available).image();
    }

    @Test
    void theTableMapsProgramsByBasename() {
        assertThat(image(EVERYTHING, "python3", "-c", "print(1)")).isEqualTo("python:3.12-alpine");
        assertThat(image(EVERYTHING, "/usr/bin/pip")).isEqualTo("python:3.12-alpine");
        assertThat(image(EVERYTHING, "npx", "x")).isEqualTo("node:22-alpine");
        assertThat(image(EVERYTHING, "bundle")).isEqualTo("ruby:3.3-alpine");
        assertThat(image(EVERYTHING, "go")).isEqualTo("golang:1.23-alpine");
        assertThat(image(EVERYTHING, "cargo")).isEqualTo("rust:1.83-slim");
        assertThat(image(EVERYTHING, "mvn")).isEqualTo("eclipse-temurin:21-jdk");
        assertThat(image(EVERYTHING, "make")).isEqualTo("gcc:14");
        assertThat(image(EVERYTHING, "php")).isEqualTo("php:8.3-cli-alpine");
        assertThat(image(EVERYTHING, "sh", "-c", "ls")).isEqualTo("busybox:1.36");
        assertThat(image(EVERYTHING, "my-tool")).isEqualTo("fallback:1");
    }

    @Test
    void offlineTheLocalAlternativeIsUsedAndSaidSo() {
        ImageResolver.Choice py = resolver.resolve(List.of("python3"), OFFLINE);
        assertThat(py.image()).isEqualTo("agentkernel/python:local");
        assertThat(py.note()).contains("python:3.12-alpine", "agentkernel/python:local");
        ImageResolver.Choice echo = resolver.resolve(List.of("echo", "hi"), OFFLINE);
        assertThat(echo.image()).isEqualTo("agentkernel/busybox:local");
        assertThat(echo.note()).isNotNull();
        // no alternative: the detected image stays, so creation reports the missing image
        ImageResolver.Choice node = resolver.resolve(List.of("node"), OFFLINE);
        assertThat(node.image()).isEqualTo("node:22-alpine");
        assertThat(node.note()).isNull();
        assertThat(new ImageResolver(Map.of(), "fb:1", null).resolve(List.of("python3"), EVERYTHING).note()).isNull();
    }

    @Test
    void overridesWinAndAreUsedAsGiven() {
        ImageResolver r = new ImageResolver(Map.of("python3", "mine/py:1", "node", "mine/node:1"), "fb:1", null);
        assertThat(r.resolve(List.of("python3"), i -> false)).isEqualTo(new ImageResolver.Choice("mine/py:1", null));
        assertThat(r.resolve(List.of("/opt/bin/node"), i -> false).image()).isEqualTo("mine/node:1");
    }

    @Test
    void projectFilesDecideForShellsAndUnknownPrograms(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("package.json"), "{}");
        assertThat(resolver.resolve(List.of("sh", "-c", "npm test"), dir, EVERYTHING).image()).isEqualTo("node:22-alpine");
        assertThat(resolver.resolve(List.of("./run-tests"), dir, EVERYTHING).image()).isEqualTo("node:22-alpine");
        assertThat(resolver.resolve(List.of("python3"), dir, EVERYTHING).image()).isEqualTo("python:3.12-alpine");
        Files.writeString(dir.resolve("pyproject.toml"), "");
        assertThat(ImageResolver.projectProgram(dir)).contains("python");
        assertThat(ImageResolver.projectProgram(dir.resolve("nothing"))).isEmpty();
    }

    @Test
    void availabilityAnswersAreCached() {
        AtomicInteger asked = new AtomicInteger();
        Predicate<String> counting = i -> {
            asked.incrementAndGet();
            return true;
        };
        for (int i = 0; i < 5; i++) {
            resolver.resolve(List.of("python3"), counting);
        }
        assertThat(asked.get()).isEqualTo(1);
    }
}
