package dev.agentkernel.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shared Docker engine as a test sees it through the docker CLI, independent of the code under test, and
 * limited to one owner's containers: other engineers' and other test runs' containers come and go on the same
 * engine and are never counted or removed.
 */
public final class EngineView {
    /** The label every sandbox carries with the instance id of the agentkernel that made it. */
    public static final String OWNER_LABEL = "dev.agentkernel.owner";
    /** The label every sandbox carries with its name. */
    public static final String NAME_LABEL = "dev.agentkernel.name";

    private EngineView() {
    }

    /** Ids of the containers (any state) whose owner label is exactly {@code owner}. */
    public static List<String> containersOf(String owner) {
        return lines(docker("ps", "-aq", "--filter", "label=" + OWNER_LABEL + "=" + owner));
    }

    /** Ids of the containers of the sandbox named {@code sandbox} (whoever made it). */
    public static List<String> containersNamed(String sandbox) {
        return lines(docker("ps", "-aq", "--filter", "label=" + NAME_LABEL + "=" + sandbox));
    }

    /**
     * One line per container whose owner label starts with {@code prefix} (Docker filters match labels exactly
     * only): {@code id owner name kind status}, the id first.
     */
    public static List<String> describeOwnedByPrefix(String prefix) {
        String out = docker("ps", "-a", "--filter", "label=" + OWNER_LABEL, "--format",
                "{{.ID}} {{.Label \"" + OWNER_LABEL + "\"}} {{.Names}} {{.Label \"dev.agentkernel.kind\"}} {{.Status}}");
        return lines(out).stream().filter(l -> {
            String[] f = l.split(" ");
            return f.length > 1 && f[1].startsWith(prefix);
        }).toList();
    }

    /** Ids of the images (snapshots) whose owner label is exactly {@code owner}. */
    public static List<String> imagesOf(String owner) {
        return lines(docker("images", "-q", "--no-trunc", "--filter", "label=" + OWNER_LABEL + "=" + owner)).stream()
                .distinct().toList();
    }

    /** Names of the volumes (named volumes of sandboxes) whose owner label is exactly {@code owner}. */
    public static List<String> volumesOf(String owner) {
        return lines(docker("volume", "ls", "-q", "--filter", "label=" + OWNER_LABEL + "=" + owner));
    }

    /**
     * Force-removes the containers of {@code owner} (a failed test's leftovers), then its snapshot images and
     * volumes; returns how many containers there were.
     */
    public static int removeAllOf(String owner) {
        List<String> ids = containersOf(owner);
        remove(ids);
        // Best effort: a sandbox of another owner (restored from this owner's snapshot) may still use an image.
        for (String image : imagesOf(owner)) {
            quietly("rmi", "-f", image);
        }
        for (String volume : volumesOf(owner)) {
            quietly("volume", "rm", "-f", volume);
        }
        return ids.size();
    }

    /** Force-removes these containers (ids); missing ones are fine. */
    public static void remove(List<String> ids) {
        if (!ids.isEmpty()) {
            List<String> args = new ArrayList<>(List.of("rm", "-f"));
            args.addAll(ids);
            docker(args.toArray(String[]::new));
        }
    }

    /** Runs {@code docker ARGS...} and returns its output (stdout and stderr); a failure names the command. */
    public static String docker(String... args) {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(cmd + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + cmd, e);
        }
    }

    private static void quietly(String... args) {
        try {
            docker(args);
        } catch (IllegalStateException e) {
            System.err.println("cleanup: " + e.getMessage());
        }
    }

    private static List<String> lines(String s) {
        return Arrays.stream(s.split("\n")).map(String::trim).filter(l -> !l.isEmpty()).toList();
    }
}
