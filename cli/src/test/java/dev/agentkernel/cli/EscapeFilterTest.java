package dev.agentkernel.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class EscapeFilterTest {
    private static String feed(EscapeFilter f, String input) {
        byte[] b = input.getBytes(StandardCharsets.ISO_8859_1);
        return new String(f.filter(b, b.length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void tildeDotAtTheStartOfALineDetaches() {
        EscapeFilter f = new EscapeFilter();
        assertThat(feed(f, "ls\r")).isEqualTo("ls\r");
        assertThat(feed(f, "~")).isEmpty(); // held: it may be the escape
        assertThat(feed(f, ".")).isEmpty();
        assertThat(f.detached()).isTrue();
    }

    @Test
    void firstInputCountsAsALineStart() {
        EscapeFilter f = new EscapeFilter();
        assertThat(feed(f, "~.")).isEmpty();
        assertThat(f.detached()).isTrue();
    }

    @Test
    void aTildeElsewhereOrDoubledGoesThrough() {
        EscapeFilter f = new EscapeFilter();
        assertThat(feed(f, "cd ~.\r")).isEqualTo("cd ~.\r");
        assertThat(feed(f, "~~.\r")).isEqualTo("~.\r");
        assertThat(feed(f, "~x")).isEqualTo("~x");
        assertThat(f.detached()).isFalse();
    }

    @Test
    void aTerminalAnswerBetweenEnterAndTildeKeepsTheLineStart() {
        EscapeFilter f = new EscapeFilter();
        // Enter, then the terminal's cursor position report (ESC [ 30 ; 1 R), then ~.
        assertThat(feed(f, "\r\u001b[30;1R")).isEqualTo("\r\u001b[30;1R");
        assertThat(feed(f, "~.")).isEmpty();
        assertThat(f.detached()).isTrue();
    }

    @Test
    void anEscapeSequenceInTheMiddleOfALineDoesNotMakeALineStart() {
        EscapeFilter f = new EscapeFilter();
        assertThat(feed(f, "ab\u001b[D~.")).isEqualTo("ab\u001b[D~.");
        assertThat(f.detached()).isFalse();
    }
}
