package dev.agentkernel.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * agentkernel's own seccomp profile ({@code seccomp.json} next to this class), applied to every sandbox of every
 * profile instead of the engine's default: the engine's idea of what a container may call, written from the kernel's
 * system call table, minus io_uring, userfaultfd, bpf, perf events, the keyring, namespaces and mounts and the
 * other calls listed there with the reason for each. Refused calls answer ENOSYS, so programs take the path they
 * take on a kernel without them. The engine takes the profile's text in the {@code seccomp=} security option.
 */
final class SeccompProfile {
    static final String RESOURCE = "seccomp.json";
    private static final String JSON = compact(load());

    private SeccompProfile() {
    }

    /** The {@code HostConfig.SecurityOpt} entry. */
    static String securityOpt() {
        return "seccomp=" + JSON;
    }

    /** The profile as shipped, for tests and {@code doctor}. */
    static String json() {
        return JSON;
    }

    private static String load() {
        try (InputStream in = SeccompProfile.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the backend's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Drops the whitespace outside strings: the text travels with every container create. */
    static String compact(String json) {
        StringBuilder out = new StringBuilder(json.length());
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\') {
                    out.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (!Character.isWhitespace(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
