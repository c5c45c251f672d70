package dev.agentkernel.cli;

import java.io.ByteArrayOutputStream;

/**
 * The detach escape of {@code agentkernel shell}, as in ssh: {@code ~.} at the start of a line (after Enter, or as
 * the first input) ends the session; {@code ~~} there sends one {@code ~}; any other {@code ~} goes through as it
 * is. Everything else is passed on unchanged. Not thread-safe: one reader feeds it.
 */
public final class EscapeFilter {
    private boolean lineStart = true;
    private boolean tilde;
    private boolean detached;

    /** The bytes to send for this input; after {@code ~.} it returns what came before and {@link #detached} is set. */
    public byte[] filter(byte[] in, int len) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(len + 1);
        for (int i = 0; i < len && !detached; i++) {
            byte b = in[i];
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
