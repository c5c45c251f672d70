package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.Validation;

import java.util.List;

/**
 * The shell helpers that read, write and delete files in a sandbox without the agent (Docker's exec path,
 * Kubernetes' pod exec), with the agent's semantics: the agent's path rule ({@link #RESOLVE}), a link as the last
 * component refused for read and write and removed itself by delete, atomic writes (temporary file + rename in the
 * same directory), and the same error codes ({@link #failure}). Every path resolves in the sandbox's own view (its
 * mounts, its links, its user's permissions), never on the host.
 *
 * <p>The path is always a separate argv element ({@code "$1"}), never part of the script text. The helpers report
 * what went wrong with distinct exit codes. They need {@code /bin/sh}, {@code head}, {@code mkdir}, {@code mv},
 * {@code rm}, {@code readlink}, {@code stat} and {@code chmod} (busybox and coreutils have them all).
 */
public final class FileScripts {
    private static final int MISSING = 44;
    private static final int DIRECTORY = 45;
    private static final int NOT_REGULAR = 46;
    private static final int UNREADABLE = 47;
    private static final int PARENT_NOT_DIRECTORY = 48;
    private static final int FAILED = 49;
    private static final int SYMLINK = 50;

    private static final int OUTSIDE = 51;

    /**
     * The agent's path rule, in sh: {@code resolve PATH CREATE} walks the parents one by one and sets {@code d} (the
     * parent, every link in it resolved) and {@code p} ({@code $d/<last component>}). A link in a parent position
     * is followed only when its target, taken relative to the directory holding the link, stays inside that
     * directory ({@code /bin -> usr/bin} in {@code /} is fine, {@code /tmp/x -> /etc} is not); the last component is
     * never resolved. A missing parent is made when CREATE is 1. Unlike the agent's openat walk, a process racing
     * the helper can swap a checked directory for a link; it only ever redirects the helper within the sandbox's
     * own view, as the process could itself.
     */
    private static final String RESOLVE = String.join("\n",
            "resolve() {",
            "  rest=${1#/}; d=; hops=0",
            "  while :; do",
            "    case $rest in */*) ;; *) break ;; esac",
            "    c=${rest%%/*}; rest=${rest#*/}; n=$d/$c",
            "    if [ -L \"$n\" ]; then",
            "      hops=$((hops + 1)); [ $hops -gt 40 ] && exit " + OUTSIDE,
            "      t=$(readlink -- \"$n\") || exit " + FAILED,
            "      case $t in /*) if [ -n \"$d\" ]; then",
            "        case $t in \"$d\"|\"$d\"/*) t=${t#\"$d\"} ;; *) exit " + OUTSIDE + " ;; esac",
            "      fi ;; esac",
            // the target's segments, relative to the link's directory; never above it
            "      np=; depth=0; set -f; ifs=$IFS; IFS=/",
            "      for s in $t; do case $s in",
            "        ''|.) ;;",
            "        ..) [ $depth -eq 0 ] && exit " + OUTSIDE + "; case $np in */*) np=${np%/*} ;; *) np= ;; esac;"
                    + " depth=$((depth - 1)) ;;",
            "        *) np=${np:+$np/}$s; depth=$((depth + 1)) ;;",
            "      esac; done",
            "      IFS=$ifs; set +f",
            "      rest=${np:+$np/}$rest",
            "      continue",
            "    fi",
            "    if [ ! -e \"$n\" ]; then",
            "      [ \"$2\" = 1 ] || exit " + MISSING,
            "      mkdir -- \"$n\" || [ -d \"$n\" ] || exit " + FAILED,
            "    fi",
            "    [ -d \"$n\" ] || exit " + PARENT_NOT_DIRECTORY,
            "    d=$n",
            "  done",
            "  p=$d/$rest; [ -n \"$d\" ] || d=/",
            "}");

    private static final String READ = String.join("\n", RESOLVE,
            "resolve \"$1\" 0",
            // a link as the last component is never followed (as by the agent)
            "[ -L \"$p\" ] && exit " + SYMLINK,
            "[ -e \"$p\" ] || exit " + MISSING,
            "[ -d \"$p\" ] && exit " + DIRECTORY,
            "[ -f \"$p\" ] || exit " + NOT_REGULAR,
            "[ -r \"$p\" ] || exit " + UNREADABLE,
            // one byte more than allowed tells us the file is too large without reading all of it
            "exec head -c \"$2\" -- \"$p\"");

    private static final String WRITE = String.join("\n", RESOLVE,
            "resolve \"$1\" 1",
            "[ -L \"$p\" ] && exit " + SYMLINK,
            "[ -d \"$p\" ] && exit " + DIRECTORY,
            // a FIFO or device would block the writer or write somewhere else: refuse it
            "[ -e \"$p\" ] && [ ! -f \"$p\" ] && exit " + NOT_REGULAR,
            // Atomic, as the agent's write: the content goes to a new file beside the target, which then replaces
            // it in one rename (a reader sees the old file or the new one; a link put there meanwhile is replaced,
            // never followed). The target's mode is kept.
            "t=\"$d/.agentkernel-write-$$\"",
            // exactly the announced length: a transport that cannot close stdin (Kubernetes) sends no EOF
            "head -c \"$2\" > \"$t\" || { rm -f -- \"$t\"; exit " + FAILED + "; }",
            "[ -f \"$p\" ] && m=$(stat -c %a -- \"$p\" 2>/dev/null) && chmod \"$m\" \"$t\"",
            "mv -f -- \"$t\" \"$p\" || { rm -f -- \"$t\"; exit " + FAILED + "; }");

    private static final String DELETE = String.join("\n", RESOLVE,
            "resolve \"$1\" 0",
            "[ -e \"$p\" ] || [ -L \"$p\" ] || exit " + MISSING,
            "[ -d \"$p\" ] && [ ! -L \"$p\" ] && exit " + DIRECTORY,
            "rm -f -- \"$p\" || exit " + FAILED);

    private FileScripts() {
    }

    /** Reads {@code path} (validated), at most {@code maxBytes + 1} bytes to stdout: one more tells "too large". */
    public static List<String> read(String path, long maxBytes) {
        return List.of("/bin/sh", "-c", READ, "agentkernel-read", path, Long.toString(maxBytes + 1));
    }

    /** Writes the next {@code length} bytes of stdin to {@code path} (validated), atomically, parents made. */
    public static List<String> write(String path, int length) {
        return List.of("/bin/sh", "-c", WRITE, "agentkernel-write", path, Integer.toString(length));
    }

    /** Deletes {@code path} (validated): a file or a link, never a directory, never a link's target. */
    public static List<String> delete(String path) {
        return List.of("/bin/sh", "-c", DELETE, "agentkernel-delete", path);
    }

    /**
     * The error a helper's exit code stands for, as the agent reports the same case, or null for success.
     *
     * @param stderr what the helper wrote to stderr (its last line names the system's reason)
     */
    public static AgentKernelException failure(int code, String stderr, String sandbox, String path, String verb) {
        String where = "'" + path + "' in sandbox '" + sandbox + "'";
        switch (code) {
            case 0:
                return null;
            case MISSING:
                return new AgentKernelException.NotFoundException("File " + where + " not found");
            case DIRECTORY:
                return new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": it is a directory");
            case SYMLINK:
                return new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": it is a symbolic link");
            case OUTSIDE: // EXDEV or ELOOP, as the agent reports them
                return new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": a symbolic link on the path leads outside the directory holding it");
            case NOT_REGULAR:
                return new AgentKernelException.InvalidRequestException("Cannot " + verb + " " + where
                        + ": not a regular file");
            case PARENT_NOT_DIRECTORY: // ENOTDIR, as the agent reports it
                return new AgentKernelException.NotFoundException("File " + where
                        + " not found: a parent is not a directory");
            default:
                String reason = reason(stderr);
                if (reason.contains("No space left") || reason.contains("Disk quota exceeded")) { // ENOSPC, EDQUOT
                    return new AgentKernelException(ErrorCode.CONFLICT, "Cannot " + verb + " " + where
                            + ": no space left");
                }
                ErrorCode ec = code == UNREADABLE || reason.contains("Permission denied")
                        || reason.contains("Read-only file system") ? ErrorCode.FORBIDDEN : ErrorCode.INVALID_REQUEST;
                return new AgentKernelException(ec, "Cannot " + verb + " " + where
                        + (code == UNREADABLE ? ": permission denied" : reason.isEmpty() ? "" : ": " + reason));
        }
    }

    /** The helper's last stderr line without the shell's prefix, e.g. "Read-only file system". */
    private static String reason(String stderr) {
        String text = stderr.trim();
        int nl = text.lastIndexOf('\n');
        String line = nl >= 0 ? text.substring(nl + 1) : text;
        int colon = line.lastIndexOf(": ");
        String r = colon >= 0 ? line.substring(colon + 2) : line;
        return Validation.printable(r);
    }
}
