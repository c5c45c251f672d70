package dev.agentkernel.cli;

import java.io.ByteArrayOutputStream;

/**
 * The detach escape of {@code agentkernel shell}, as in ssh: {@code ~.} at the start of a line (after Enter, or as
 * the first input) ends the session; {@code ~~} there sends one {@code ~}; any other {@code ~} goes through as it
 * is. Everything else is passed on unchanged. An escape sequence ({@code ESC [ ... final byte}) leaves the line
 * start as it was: the local terminal writes its answers to the remote program's queries (busybox sh asks for the
 * cursor position at every prompt) into our input, between the user's Enter and the {@code ~}. Not thread-safe:
 * one reader feeds it.
 */
public final class EscapeFilter {
    private boolean lineStart = true;
    private boolean tilde;
    private boolean detached;
    private int sequence;          // 0: none, 1: after ESC, 2: inside ESC [ ... until its final byte

    /** The bytes to send for this input; after {@code ~.} it returns what came before and {@link #detached} is set. */
    public byte[] filter(byte[] in, int len) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 1);
        for (int i = 0; i < len && !detached; i++) {
            byte b = in[i];
            if (sequence == 1) {
                out.write(b);
                sequence = b == '[' ? 2 : 0;
                lineStart &= sequence == 2;
                continue;
            }
            if (sequence == 2) {
                out.write(b);
                if (b >= 0x40 && b <= 0x7e) {
                    sequence = 0;
                }
                continue;
            }
            if (b == 0x1b && !tilde) {
                out.write(b);
                sequence = 1;
                continue;
            }
            if (tilde) {
                tilde = false;
                if (b == '.') {
                    detached = true;
                    break;
                }
                out.write('~');
                if (b == '~') {
                    lineStart = false;
                    continue;
                }
            } else if (lineStart && b == '~') {
                tilde = true;
                continue;
            }
            out.write(b);
            lineStart = b == '\r' || b == '\n';
        }
        return out.toByteArray();
    }

    public boolean detached() {
        return detached;
    }
}
