package dev.agentkernel.cli.commands;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

@Command(name = "cp", mixinStandardHelpOptions = true,
        header = "Copy files and directories between this machine and a sandbox.",
        description = {
                "One side is NAME:PATH (a path inside sandbox NAME), the other a local path. Copying into an existing directory (or a path ending in '/') puts the source inside it under its own name. Directories are copied with their regular files; symlinks, devices and empty directories are skipped. Paths inside the sandbox are resolved in the sandbox's own view.",
                "",
                "Examples:",
                "  agentkernel cp ./script.py dev:/tmp/script.py",
                "  agentkernel cp ./src dev:/workspace/",
                "  agentkernel cp dev:/tmp/results ./results"})
public final class CpCommand extends ClientCommand {
    /** NAME:PATH; a leading '/' or '.' marks a local path that happens to contain ':'. */
    private static final Pattern REMOTE = Pattern.compile("([A-Za-z0-9][A-Za-z0-9_.-]{0,62}):(.*)");

    @Parameters(index = "0", paramLabel = "SRC", description = "Local path or NAME:PATH.")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "Local path or NAME:PATH.")
    String destination;

    record Remote(String sandbox, String path, boolean trailingSlash) {
    }

    static Remote remote(String arg) {
        if (arg.startsWith("/") || arg.startsWith(".")) {
            return null;
        }
        Matcher m = REMOTE.matcher(arg);
        if (!m.matches()) {
            return null;
        }
        String path = m.group(2).isEmpty() ? "/" : m.group(2);
        return new Remote(m.group(1), path, path.endsWith("/"));
    }

    @Override
    protected int execute(Sandboxes client) throws IOException {
        Remote from = remote(source);
        Remote to = remote(destination);
        if ((from == null) == (to == null)) {
            throw new AgentKernelException.InvalidRequestException(
                    "exactly one of SRC and DEST must be NAME:PATH (a sandbox path), the other a local path");
        }
        int files = to != null ? upload(client, Path.of(source), to) : download(client, from, Path.of(destination));
        console().detail("copied " + files + " file" + (files == 1 ? "" : "s"));
        return 0;
    }

    private int upload(Sandboxes client, Path local, Remote to) throws IOException {
        if (!Files.exists(local)) {
            throw new AgentKernelException.NotFoundException("No such local file or directory: " + local);
        }
        String base = to.path();
        if (to.trailingSlash() || isDirectory(client, to.sandbox(), base)) {
            base = join(base, local.toAbsolutePath().normalize().getFileName().toString());
        }
        if (Files.isRegularFile(local)) {
            client.writeFile(to.sandbox(), base, Files.readAllBytes(local));
            return 1;
        }
        List<Path> regular;
        try (Stream<Path> walk = Files.walk(local)) {
            regular = walk.filter(Files::isRegularFile).sorted().toList();
        }
        // One bulk write (every path checked before anything is written), in batches only past BULK_BYTES; the
        // wire of the bulk write carries text, so a binary file goes on its own.
        java.util.Map<String, byte[]> batch = new java.util.LinkedHashMap<>();
        long batchBytes = 0;
        for (Path file : regular) {
            String rel = local.relativize(file).toString().replace(java.io.File.separatorChar, '/');
            byte[] content = Files.readAllBytes(file);
            String target = join(base, rel);
            if (new dev.agentkernel.api.FileContent(target, content).utf8().isEmpty()) {
                client.writeFile(to.sandbox(), target, content);
                continue;
            }
            if (!batch.isEmpty() && batchBytes + content.length > BULK_BYTES) {
                client.writeFiles(to.sandbox(), batch);
                batch.clear();
                batchBytes = 0;
            }
            batch.put(target, content);
            batchBytes += content.length;
        }
        if (!batch.isEmpty()) {
            client.writeFiles(to.sandbox(), batch);
        }
        return regular.size();
    }

    /** Text per bulk write: well below a server's default body limit, with room for JSON escapes. */
    static final long BULK_BYTES = 2L << 20;

    private int download(Sandboxes client, Remote from, Path local) throws IOException {
        String root = Validation.sandboxPath(from.path());
        List<String> files = regularFiles(client, from.sandbox(), root);
        boolean single = files.size() == 1 && files.get(0).equals(root);
        Path target = Files.isDirectory(local) ? local.resolve(Path.of(root).getFileName().toString()) : local;
        if (single) {
            write(target, client.readFile(from.sandbox(), root));
            return 1;
        }
        Path targetRoot = target.toAbsolutePath().normalize();
        for (String file : files) {
            // Names come from inside the sandbox: never let one point outside the destination.
            String rel = file.substring(root.equals("/") ? 1 : root.length() + 1);
            Path out = targetRoot.resolve(rel).normalize();
            if (!out.startsWith(targetRoot) || Arrays.asList(rel.split("/")).contains("..")) {
                throw new AgentKernelException.InvalidRequestException("refusing to copy '" + Validation.printable(file)
                        + "': it would land outside " + targetRoot);
            }
            write(out, client.readFile(from.sandbox(), file));
        }
        Files.createDirectories(targetRoot);
        return files.size();
    }

    private static void write(Path out, FileContent content) {
        try {
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            Files.write(out, content.content());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Regular files at or under {@code root} in the sandbox's own view (NUL-separated, so any name survives). */
    private List<String> regularFiles(Sandboxes client, String sandbox, String root) {
        ExecResult r = client.exec(sandbox, ExecRequest.of("find", root, "-type", "f", "-print0"));
        if (r.exitCode() != 0) {
            throw new AgentKernelException.NotFoundException("No such file or directory in sandbox '" + sandbox + "': "
                    + root);
        }
        List<String> files = new ArrayList<>();
        for (String f : r.stdout().split("\0")) {
            if (f.equals(root) || f.startsWith(root.equals("/") ? "/" : root + "/")) {
                files.add(f);
            } else if (!f.isEmpty()) {
                throw new AgentKernelException.InvalidRequestException("unexpected file name from the sandbox: "
                        + Validation.printable(f));
            }
        }
        if (files.isEmpty() && !isDirectory(client, sandbox, root)) {
            throw new AgentKernelException.NotFoundException("No such file or directory in sandbox '" + sandbox + "': "
                    + root);
        }
        return files;
    }

    private static boolean isDirectory(Sandboxes client, String sandbox, String path) {
        return client.exec(sandbox, ExecRequest.of("test", "-d", path)).exitCode() == 0;
    }

    private static String join(String dir, String name) {
        return (dir.endsWith("/") ? dir : dir + "/") + name;
    }
}
