package dev.agentkernel.mcp;

import dev.agentkernel.api.ExecResult;

import java.nio.charset.StandardCharsets;

/**
 * Bounds what a tool result carries. The engine already caps each stream while reading (the configured
 * limit); an agent's context is smaller, so a tool call may ask for less, and this cuts to that.
 */
final class OutputCap {
    private OutputCap() {
    }

    /** The result with each stream cut to {@code maxBytes} UTF-8 bytes; {@code truncated} set if anything was cut. */
    static ExecResult limit(ExecResult r, long maxBytes) {
        String stdout = cut(r.stdout(), maxBytes);
        String stderr = cut(r.stderr(), maxBytes);
        String output = cut(r.output(), 2 * maxBytes);
        boolean cut = stdout.length() != r.stdout().length() || stderr.length() != r.stderr().length()
                || output.length() != r.output().length();
        if (!cut) {
            return r;
        }
        return new ExecResult(r.exitCode(), stdout, stderr, output, r.duration(), r.timedOut(), true);
    }

    /** The longest prefix of {@code s} whose UTF-8 encoding fits in {@code maxBytes}, never splitting a character. */
    static String cut(String s, long maxBytes) {
        if (s.length() * 3L <= maxBytes) {
            return s;
        }
        long bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > maxBytes) {
                return s.substring(0, i);
            }
            bytes += n;
            i += Character.charCount(cp);
        }
        return s;
    }

    static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
