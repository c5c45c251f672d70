package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** File reads, writes and deletes through the agent, and its symlink rule, against a local agent process. */
class AgentFilesTest extends LocalAgentFixture {
    private String p(String rel) {
        return dir.resolve(rel).toString();
    }

    private static void assertCode(Runnable r, ErrorCode code) {
        assertThatThrownBy(r::run).isInstanceOf(AgentKernelException.class)
                .satisfies(e -> assertThat(((AgentKernelException) e).code()).isEqualTo(code));
    }

    @Test
    void writeCreatesParentsAndReadReturnsTheSameBytes() throws Exception {
        byte[] data = new byte[1024 * 1024 + 3];
        new Random(1).nextBytes(data);
        client.writeFile(p("a/b/c/data.bin"), data);
        assertThat(Files.readAllBytes(dir.resolve("a/b/c/data.bin"))).isEqualTo(data);
        assertThat(client.readFile(p("a/b/c/data.bin"), 10L << 20)).isEqualTo(data);
        // no temporary file is left behind
        try (var files = Files.list(dir.resolve("a/b/c"))) {
            assertThat(files).containsExactly(dir.resolve("a/b/c/data.bin"));
        }
    }

    @Test
    void overwriteReplacesAndEmptyFileWorks() throws Exception {
        client.writeFile(p("f.txt"), "long first content".getBytes(StandardCharsets.UTF_8));
        client.writeFile(p("f.txt"), "short".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(dir.resolve("f.txt"))).isEqualTo("short");
        client.writeFile(p("empty"), new byte[0]);
        assertThat(client.readFile(p("empty"), 10)).isEmpty();
    }

    @Test
    void deleteRemovesAFileAndMissingIsNotFound() {
        client.writeFile(p("gone.txt"), new byte[] {1});
        client.deleteFile(p("gone.txt"));
        assertThat(dir.resolve("gone.txt")).doesNotExist();
        assertCode(() -> client.deleteFile(p("gone.txt")), ErrorCode.NOT_FOUND);
        assertCode(() -> client.readFile(p("gone.txt"), 10), ErrorCode.NOT_FOUND);
        assertCode(() -> client.readFile(p("no/such/dir/x"), 10), ErrorCode.NOT_FOUND);
    }

    @Test
    void overTheLimitIsTooLarge() {
        client.writeFile(p("big"), new byte[2000]);
        assertCode(() -> client.readFile(p("big"), 1999), ErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(client.readFile(p("big"), 2000)).hasSize(2000);
    }

    @Test
    void directoriesFifosAndDevicesAreRefusedWithoutBlocking() throws Exception {
        Files.createDirectories(dir.resolve("d"));
        assertCode(() -> client.readFile(p("d"), 10), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.deleteFile(p("d")), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.writeFile(p("d"), new byte[1]), ErrorCode.INVALID_REQUEST);
        assertThat(dir.resolve("d")).isDirectory();
        Process mkfifo = new ProcessBuilder("mkfifo", p("fifo")).start();
        assertThat(mkfifo.waitFor()).isZero();
        assertCode(() -> client.readFile(p("fifo"), 10), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.readFile("/dev/zero", 10), ErrorCode.INVALID_REQUEST);
    }

    @Test
    void symlinkAsFinalComponentIsNeverFollowed() throws Exception {
        Files.writeString(dir.resolve("target.txt"), "secret");
        Files.createSymbolicLink(dir.resolve("link.txt"), dir.resolve("target.txt"));
        assertCode(() -> client.readFile(p("link.txt"), 100), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.writeFile(p("link.txt"), new byte[] {1}), ErrorCode.INVALID_REQUEST);
        assertThat(Files.readString(dir.resolve("target.txt"))).isEqualTo("secret");
        // deleting a link removes the link, not its target
        client.deleteFile(p("link.txt"));
        assertThat(dir.resolve("link.txt")).doesNotExist();
        assertThat(dir.resolve("target.txt")).exists();
    }

    @Test
    void symlinkedParentLeavingItsDirectoryIsRefused() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("f"), "outside");
        Path box = Files.createDirectories(dir.resolve("box"));
        Files.createSymbolicLink(box.resolve("up"), outside);              // absolute, leaves box
        Files.createSymbolicLink(box.resolve("rel"), Path.of("../outside")); // relative, leaves box
        assertCode(() -> client.readFile(box.resolve("up/f").toString(), 100), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.readFile(box.resolve("rel/f").toString(), 100), ErrorCode.INVALID_REQUEST);
        assertCode(() -> client.writeFile(box.resolve("up/new").toString(), new byte[1]), ErrorCode.INVALID_REQUEST);
        assertThat(outside.resolve("new")).doesNotExist();
    }

    @Test
    void symlinkedParentStayingInsideIsFollowed() throws Exception {
        Path box = Files.createDirectories(dir.resolve("box"));
        Files.createDirectories(box.resolve("real/sub"));
        Files.writeString(box.resolve("real/sub/f"), "inside");
        Files.createSymbolicLink(box.resolve("alias"), Path.of("real/./sub"));
        Files.createSymbolicLink(box.resolve("abs"), box.resolve("real"));
        assertThat(new String(client.readFile(box.resolve("alias/f").toString(), 100), StandardCharsets.UTF_8))
                .isEqualTo("inside");
        assertThat(new String(client.readFile(box.resolve("abs/sub/f").toString(), 100), StandardCharsets.UTF_8))
                .isEqualTo("inside");
    }

    @Test
    void concurrentWritesToOneFileLeaveOneWholeVersion() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                byte[] content = new byte[100_000];
                java.util.Arrays.fill(content, (byte) ('a' + i));
                futures.add(pool.submit(() -> client.writeFile(p("race.txt"), content)));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        byte[] result = Files.readAllBytes(dir.resolve("race.txt"));
        assertThat(result).hasSize(100_000);
        byte first = result[0];
        for (byte b : result) {
            assertThat(b).isEqualTo(first);
        }
    }
}
