package dev.agentkernel.server;

import dev.agentkernel.api.AgentKernelException.InvalidRequestException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonRequestUtf8Test {
    @Test
    void overlongSlashIsRefused() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'};
        assertThatThrownBy(() -> JsonRequest.parse(body)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("UTF-8");
    }

    @Test
    void wellFormedUnicodePasses() {
        JsonRequest r = JsonRequest.parse("{\"a\":\"\u00e9\u4e2d\ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(r.string("a")).isEqualTo("\u00e9\u4e2d\ud83d\ude00");
    }
}
