package dev.agentkernel.server;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proxy's reading of a sandbox's HTTP answer, fed whole and one byte at a time (any split must read the same). */
class ResponseReaderTest {
    /** What a reader found. */
    static final class Found implements ResponseReader.Sink {
        final List<ResponseReader.Head> heads = new ArrayList<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int ends;

        @Override
        public void head(ResponseReader.Head head) {
            heads.add(head);
        }

        @Override
        public void body(Buffer data) {
            body.writeBytes(data.getBytes());
        }

        @Override
        public void end() {
            ends++;
        }

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }

    private static List<Found> read(String answer, boolean head, boolean eof) {
        List<Found> both = new ArrayList<>();
        byte[] bytes = answer.getBytes(StandardCharsets.ISO_8859_1);
        for (boolean byteByByte : new boolean[]{false, true}) {
            Found f = new Found();
            ResponseReader r = new ResponseReader(head, f);
            if (byteByByte) {
                for (byte b : bytes) {
                    r.feed(new byte[]{b});
                }
            } else {
                r.feed(bytes);
            }
            if (eof) {
                r.eof();
            }
            both.add(f);
        }
        return both;
    }

    @Test
    void aLengthBodyEndsAtItsLength() {
        for (Found f : read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", false, false)) {
            assertThat(f.heads).singleElement().satisfies(h -> {
                assertThat(h.status()).isEqualTo(200);
                assertThat(h.framing()).isEqualTo(ResponseReader.Framing.LENGTH);
                assertThat(h.headers()).extracting(java.util.Map.Entry::getKey).contains("X-A", "Content-Length");
            });
            assertThat(f.text()).isEqualTo("hello");
            assertThat(f.ends).isOne();
        }
    }

    @Test
    void aChunkedBodyIsDecodedAndTrailersDropped() {
        String answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n"
                + "5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n";
        for (Found f : read(answer, false, false)) {
            assertThat(f.text()).isEqualTo("hello world");
            assertThat(f.ends).isOne();
        }
    }

    @Test
    void interimAnswersAreSkippedAndHeadAnd204And304HaveNoBody() {
        for (Found f : read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false, false)) {
            assertThat(f.heads).singleElement().satisfies(h -> assertThat(h.status()).isEqualTo(204));
            assertThat(f.ends).isOne();
        }
        for (Found f : read("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", true, false)) {
            assertThat(f.ends).as("HEAD").isOne();
        }
    }

    @Test
    void aBodyWithoutLengthLastsUntilTheEndAndA101PassesBytesOn() {
        for (Found f : read("HTTP/1.0 200 OK\r\n\r\nuntil the end", false, true)) {
            assertThat(f.heads.get(0).framing()).isEqualTo(ResponseReader.Framing.UNTIL_CLOSE);
            assertThat(f.text()).isEqualTo("until the end");
            assertThat(f.ends).isOne();
        }
        for (Found f : read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u0081\u0002hi", false, false)) {
            assertThat(f.heads.get(0).framing()).isEqualTo(ResponseReader.Framing.SWITCHED);
            assertThat(f.body.toByteArray()).containsExactly(0x81, 2, 'h', 'i');
        }
    }

    @Test
    void whatIsNotHttpOrEndsEarlyIsABadResponse() {
        assertThatThrownBy(() -> read("SSH-2.0-OpenSSH\r\n\r\n", false, false))
                .isInstanceOf(ResponseReader.BadResponse.class).hasMessageContaining("HTTP/1.x");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", false, true))
                .isInstanceOf(ResponseReader.BadResponse.class).hasMessageContaining("middle");
        assertThatThrownBy(() -> read("", false, true)).hasMessageContaining("without an HTTP answer");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, false))
                .hasMessageContaining("Content-Length");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\n" + "X: " + "a".repeat(ResponseReader.MAX_HEAD_BYTES)
                + "\r\n\r\n", false, false)).hasMessageContaining("larger than");
    }
}
