package dev.agentkernel.core.testing;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The filesystem of one fake sandbox, with the semantics {@link dev.agentkernel.core.Backend} promises and the
 * contract test pins: paths resolve in the sandbox's own view, symbolic links in parent directories are followed
 * when they stay inside the directory holding them (the agent's path rule), a link as the last component is refused for read and write and removed itself on delete,
 * parents are created on write, directories and devices are not files, a read-only root (restrictive profile) is
 * writable only under {@code /tmp} and {@code /workspace}. Not thread-safe: the backend's engine lock guards it.
 */
final class FakeFileSystem {
    private static final int MAX_LINK_HOPS = 40;

    private sealed interface Node permits Dir, File, Link, Device { }

    private record Dir() implements Node { }

    private record File(byte[] content) implements Node { }

    private record Link(String target) implements Node { }

    private record Device() implements Node { }

    private final Map<String, Node> nodes = new TreeMap<>();
    private final boolean readOnlyRoot;

    FakeFileSystem(SecurityProfile profile) {
        this.readOnlyRoot = profile.readOnlyRoot();
        for (String dir : List.of("/", "/tmp", "/workspace", "/etc", "/dev", "/home")) {
            nodes.put(dir, new Dir());
        }
        nodes.put("/dev/zero", new Device());
        nodes.put("/dev/null", new Device());
    }

    /** Reads a regular file; a link as the last component is refused. */
    byte[] read(String path, String sandbox) {
        String p = resolveParent(Validation.sandboxPath(path), sandbox, "read", false);
        Node n = nodes.get(p);
        if (n == null) {
            throw notFound(path, sandbox);
        }
        requireFile(n, path, sandbox, "read");
        return ((File) n).content().clone();
    }

    /** Writes a file, creating parents; replaces a file whole; a link as the last component is refused. */
    void write(String path, byte[] content, String sandbox) {
        String p = resolveParent(Validation.sandboxPath(path), sandbox, "write", true);
        Node n = nodes.get(p);
        if (n != null) {
            requireFile(n, path, sandbox, "write");
        }
        requireWritable(p, path, sandbox, "write");
        nodes.put(p, new File(content.clone()));
    }

    /** Deletes a file or a link (never the link's target); directories are refused. */
    void delete(String path, String sandbox) {
        String p = resolveParent(Validation.sandboxPath(path), sandbox, "delete", false);
        Node n = nodes.get(p);
        if (n == null) {
            throw notFound(path, sandbox);
        }
        if (n instanceof Dir) {
            throw invalid("delete", path, sandbox, "it is a directory");
        }
        requireWritable(p, path, sandbox, "delete");
        nodes.remove(p);
    }

    /** What {@code cat} sees: links followed to the end; empty when missing or not a file. */
    byte[] contentFollowingLinks(String path) {
        try {
            String p = follow(Validation.sandboxPath(path), 0);
            return nodes.get(p) instanceof File f ? f.content().clone() : null;
        } catch (AgentKernelException e) {
            return null;
        }
    }

    /** {@code ln -s target link}: false when the link's place is taken or its parent missing. */
    boolean symlink(String target, String link) {
        String p = Validation.sandboxPath(link);
        if (nodes.containsKey(p) || !(nodes.get(parentOf(p)) instanceof Dir) || !writable(p)) {
            return false;
        }
        nodes.put(p, new Link(target));
        return true;
    }

    /** {@code mkdir -p}: false when a file is in the way or the place is read-only. */
    boolean mkdirs(String path) {
        try {
            String p = resolveParent(Validation.sandboxPath(path), "", "mkdir", true);
            Node n = nodes.get(p);
            if (n == null && writable(p)) {
                nodes.put(p, new Dir());
                return true;
            }
            return n instanceof Dir;
        } catch (AgentKernelException e) {
            return false;
        }
    }

    /**
     * The path with every parent directory resolved (links followed inside the sandbox) and the last component as
     * it is. With {@code create}, missing parents are made as directories (where writable).
     */
    private String resolveParent(String normal, String sandbox, String verb, boolean create) {
        if (normal.equals("/")) {
            return normal;
        }
        String parent = parentOf(normal);
        String leaf = normal.substring(normal.lastIndexOf('/') + 1);
        String dir = "/";
        int hops = 0;
        for (String segment : parent.substring(1).split("/")) {
            if (segment.isEmpty()) {
                continue;
            }
            String next = join(dir, segment);
            Node n = nodes.get(next);
            while (n instanceof Link link) {
                if (++hops > MAX_LINK_HOPS) {
                    throw invalid(verb, normal, sandbox, "too many levels of symbolic links");
                }
                next = inside(dir, link.target());
                if (next == null) {
                    throw invalid(verb, normal, sandbox, "a symbolic link on the path leads outside the directory "
                            + "holding it");
                }
                n = nodes.get(next);
            }
            if (n == null) {
                if (!create) {
                    throw notFound(normal, sandbox);
                }
                requireWritable(next, normal, sandbox, verb);
                nodes.put(next, new Dir());
            } else if (!(n instanceof Dir)) {
                throw new AgentKernelException.NotFoundException("File '" + normal + "' in sandbox '" + sandbox
                        + "' not found: a parent is not a directory"); // ENOTDIR, as the real backends report it
            }
            dir = next;
        }
        return join(dir, leaf);
    }

    private String follow(String normal, int hops) {
        String p = resolveParent(normal, "", "read", false);
        if (nodes.get(p) instanceof Link link) {
            if (hops >= MAX_LINK_HOPS) {
                throw invalid("read", normal, "", "too many levels of symbolic links");
            }
            return follow(absolute(parentOf(p), link.target()), hops + 1);
        }
        return p;
    }

    private void requireFile(Node n, String path, String sandbox, String verb) {
        if (n instanceof Dir) {
            throw invalid(verb, path, sandbox, "it is a directory");
        }
        if (n instanceof Link) {
            throw invalid(verb, path, sandbox, "it is a symbolic link");
        }
        if (n instanceof Device) {
            throw invalid(verb, path, sandbox, "not a regular file");
        }
    }

    private void requireWritable(String resolved, String path, String sandbox, String verb) {
        if (!writable(resolved)) {
            throw new AgentKernelException(ErrorCode.FORBIDDEN, "Cannot " + verb + " '" + path + "' in sandbox '"
                    + sandbox + "': Read-only file system");
        }
    }

    private boolean writable(String resolved) {
        return !readOnlyRoot || resolved.startsWith("/tmp/") || resolved.startsWith("/workspace/");
    }

    private static String parentOf(String p) {
        int i = p.lastIndexOf('/');
        return i <= 0 ? "/" : p.substring(0, i);
    }

    private static String join(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    /**
     * The target of a link in a parent position, made absolute against the link's directory {@code dir}, or null
     * when it leaves that directory: an absolute target must lie under {@code dir}, and ".." may never climb above
     * it, not even on the way (the agent's path rule).
     */
    private static String inside(String dir, String target) {
        String rest = target;
        if (target.startsWith("/") && !dir.equals("/")) {
            if (!target.equals(dir) && !target.startsWith(dir + "/")) {
                return null;
            }
            rest = target.substring(dir.length());
        }
        List<String> parts = new ArrayList<>();
        for (String s : rest.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.remove(parts.size() - 1);
                continue;
            }
            parts.add(s);
        }
        return parts.isEmpty() ? dir : join(dir, String.join("/", parts));
    }

    /** A link target made absolute against the link's directory, with "." and ".." applied (never above "/"). */
    private static String absolute(String dir, String target) {
        List<String> parts = new ArrayList<>();
        String full = target.startsWith("/") ? target : join(dir, target);
        for (String s : full.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(s);
        }
        return "/" + String.join("/", parts);
    }

    private static AgentKernelException notFound(String path, String sandbox) {
        return new AgentKernelException.NotFoundException("File '" + path + "' not found in sandbox '" + sandbox + "'");
    }

    private static AgentKernelException invalid(String verb, String path, String sandbox, String why) {
        return new AgentKernelException.InvalidRequestException("Cannot " + verb + " '" + path + "' in sandbox '"
                + sandbox + "': " + why);
    }
}
