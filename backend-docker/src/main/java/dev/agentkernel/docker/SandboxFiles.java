package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.Validation;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * File read/write/delete done by small shell helpers run inside the sandbox, so every path is resolved in the
 * sandbox's own view (its mounts, its symlinks, its user's permissions) and never on the host. Docker's archive
 * API is not used: it resolves paths on the host side (the {@code docker cp} symlink CVEs) and cannot write into
 * the tmpfs of a read-only-root container.
 *
 * <p>The path is always a separate argv element ({@code "$1"}), never part of the script text; content goes
 * through stdin (our exec stream delivers EOF). The helpers report what went wrong with distinct exit codes.
 */
final class SandboxFiles {
    private static final Duration HELPER_TIMEOUT = Duration.ofMinutes(2);
    private static final int MISSING = 44;
    private static final int DIRECTORY = 45;
    private static final int NOT_REGULAR = 46;
    private static final int UNREADABLE = 47;
    private static final int PARENT_NOT_DIRECTORY = 48;
    private static final int FAILED = 49;
    private static final int SYMLINK = 50;

    private static final String READ = String.join("\n",
            "p=$1",
            // a link as the last component is never followed (as by the agent); links in parents resolve inside
            "[ -L \"$p\" ] && exit " + SYMLINK,
            "[ -e \"$p\" ] || exit " + MISSING,
            "[ -d \"$p\" ] && exit " + DIRECTORY,
            "[ -f \"$p\" ] || exit " + NOT_REGULAR,
            "[ -r \"$p\" ] || exit " + UNREADABLE,
            // one byte more than allowed tells us the file is too large without reading all of it
            "exec head -c \"$2\" -- \"$p\"");

    private static final String WRITE = String.join("\n",
            "p=$1; d=${p%/*}; [ -n \"$d\" ] || d=/",
            "[ -L \"$p\" ] && exit " + SYMLINK,
            "[ -d \"$p\" ] && exit " + DIRECTORY,
            // a FIFO or device would block the writer or write somewhere else: refuse it
            "[ -e \"$p\" ] && [ ! -f \"$p\" ] && exit " + NOT_REGULAR,
            "[ -e \"$d\" ] && [ ! -d \"$d\" ] && exit " + PARENT_NOT_DIRECTORY,
            "mkdir -p -- \"$d\" || exit " + FAILED,
            "[ -d \"$d\" ] || exit " + PARENT_NOT_DIRECTORY,
            // Atomic, as the agent's write: the content goes to a new file beside the target, which then replaces
            // it in one rename (a reader sees the old file or the new one; a link put there meanwhile is replaced,
            // never followed). The target's mode is kept.
            "t=\"$d/.agentkernel-write-$$\"",
            "cat > \"$t\" || { rm -f -- \"$t\"; exit " + FAILED + "; }",
            "[ -f \"$p\" ] && m=$(stat -c %a -- \"$p\" 2>/dev/null) && chmod \"$m\" \"$t\"",
            "mv -f -- \"$t\" \"$p\" || { rm -f -- \"$t\"; exit " + FAILED + "; }");

    private static final String DELETE = String.join("\n",
            "p=$1",
            "[ -e \"$p\" ] || [ -L \"$p\" ] || exit " + MISSING,
            "[ -d \"$p\" ] && [ ! -L \"$p\" ] && exit " + DIRECTORY,
            "rm -f -- \"$p\" || exit " + FAILED);

    private final ContainerExec execs;

    SandboxFiles(ContainerExec execs) {
        this.execs = execs;
    }

    /** Reads at most {@code maxBytes} (a positive int-sized count) of a validated path. */
    FileContent read(String containerId, String sandbox, String p, long maxBytes,
                     ContainerExec.ContainerProblem problem) {
        Capped out = new Capped(maxBytes + 1);
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, List.of("/bin/sh", "-c", READ, "agentkernel-read", p,
                Long.toString(maxBytes + 1)), null, (t, b, o, l) -> (t == 1 ? out : err).write(b, o, l),
                HELPER_TIMEOUT, problem);
        check(code, sandbox, p, err, "read");
        if (out.size() > maxBytes) {
            throw new AgentKernelException.TooLargeException("File '" + p + "' in sandbox '" + sandbox
                    + "' is larger than the limit of " + maxBytes + " bytes");
        }
        return new FileContent(p, out.toByteArray());
    }

    void write(String containerId, String sandbox, FileContent file, ContainerExec.ContainerProblem problem) {
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, List.of("/bin/sh", "-c", WRITE, "agentkernel-write", file.path()),
                file.content(), (t, b, o, l) -> err.write(b, o, l), HELPER_TIMEOUT, problem);
        check(code, sandbox, file.path(), err, "write");
    }

    /** Deletes a validated path. */
    void delete(String containerId, String sandbox, String p, ContainerExec.ContainerProblem problem) {
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, List.of("/bin/sh", "-c", DELETE, "agentkernel-delete", p), null,
                (t, b, o, l) -> err.write(b, o, l), HELPER_TIMEOUT, problem);
        check(code, sandbox, p, err, "delete");
    }

    private static void check(int code, String sandbox, String path, Capped err, String verb) {
        String where = "'" + path + "' in sandbox '" + sandbox + "'";
        switch (code) {
            case 0:
                return;
            case MISSING:
                throw new AgentKernelException.NotFoundException("File " + where + " not found");
            case DIRECTORY:
                throw new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": it is a directory");
            case SYMLINK:
                throw new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": it is a symbolic link");
            case NOT_REGULAR:
                throw new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": not a regular file");
            case PARENT_NOT_DIRECTORY: // ENOTDIR, as the agent reports it
                throw new AgentKernelException.NotFoundException("File " + where
                        + " not found: a parent is not a directory");
            case -1:
                throw new AgentKernelException.OperationTimeoutException("File " + verb + " of " + where
                        + " did not finish in " + HELPER_TIMEOUT.toSeconds() + " s");
            default:
                String reason = reason(err);
                ErrorCode ec = code == UNREADABLE || reason.contains("Permission denied")
                        || reason.contains("Read-only file system") ? ErrorCode.FORBIDDEN : ErrorCode.INVALID_REQUEST;
                throw new AgentKernelException(ec, "Cannot " + verb + " " + where
                        + (code == UNREADABLE ? ": permission denied" : reason.isEmpty() ? "" : ": " + reason));
        }
    }

    /** The helper's last stderr line without the shell's prefix, e.g. "Read-only file system". */
    private static String reason(Capped err) {
        String text = err.toString().trim();
        int nl = text.lastIndexOf('\n');
        String line = nl >= 0 ? text.substring(nl + 1) : text;
        int colon = line.lastIndexOf(": ");
        String r = colon >= 0 ? line.substring(colon + 2) : line;
        return Validation.printable(r);
    }

    /** A byte sink that keeps at most {@code cap} bytes and counts the rest. */
    private static final class Capped {
        private final long cap;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private long size;

        Capped(long cap) {
            this.cap = cap;
        }

        void write(byte[] b, int off, int len) {
            int take = (int) Math.max(0, Math.min(len, cap - buf.size()));
            buf.write(b, off, take);
            size += len;
        }

        long size() {
            return size;
        }

        byte[] toByteArray() {
            return buf.toByteArray();
        }

        @Override
        public String toString() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
