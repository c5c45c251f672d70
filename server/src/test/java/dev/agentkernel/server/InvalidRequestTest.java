package dev.agentkernel.server;

import dev.agentkernel.core.testing.FakeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests Netty cannot decode get the error envelope too, never Vert.x's bare status line. */
class InvalidRequestTest {
    @TempDir
    Path dir;

    private String raw(ServerFixture f, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void overlongRequestLineIs414InTheEnvelope() throws Exception {
        try (ServerFixture f = new ServerFixture(new FakeBackend(), ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(15)), b -> b)) {
            String reply = raw(f, "GET /sandboxes/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(reply).matches("(?s)HTTP/1\\.[01] 414 .*").contains("\"success\":false").contains("\"code\":\"invalid_request\"");
        }
    }

    @Test
    void malformedRequestIs400InTheEnvelope() throws Exception {
        try (ServerFixture f = new ServerFixture(new FakeBackend(), ServerFixture.config(4), dir.resolve("audit.jsonl"),
                o -> o.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(15)), b -> b)) {
            String reply = raw(f, "GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header Without Colon\r\n\r\n");
            assertThat(reply).matches("(?s)HTTP/1\\.[01] 400 .*").contains("\"success\":false");
        }
    }
}
