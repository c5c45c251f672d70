package dev.agentkernel.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Looks at the shared engine through the docker CLI, limited to the containers of one owner (this test run). */
final class DockerEngine {
    private DockerEngine() {
    }

    static List<String> containersOf(String owner) {
        return lines(run("docker", "ps", "-aq", "--filter", "label=dev.agentkernel.owner=" + owner));
    }

    static List<String> containersNamed(String sandbox) {
        return lines(run("docker", "ps", "-aq", "--filter", "label=dev.agentkernel.name=" + sandbox));
    }

    /** Removes what this test run left behind (only containers carrying its owner label). */
    static void removeAllOf(String owner) {
        List<String> ids = containersOf(owner);
        if (!ids.isEmpty()) {
            List<String> cmd = new ArrayList<>(List.of("docker", "rm", "-f"));
            cmd.addAll(ids);
            run(cmd.toArray(String[]::new));
        }
    }

    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + Arrays.toString(cmd));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + Arrays.toString(cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(String s) {
        return Arrays.stream(s.split("\n")).map(String::trim).filter(l -> !l.isEmpty()).toList();
    }
}
