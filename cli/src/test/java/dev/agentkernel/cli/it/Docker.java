package dev.agentkernel.cli.it;

import dev.agentkernel.core.InstanceId;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the ITs ask the engine directly, through the docker CLI: only about containers of this test JVM
 * (owner label = this process's instance id), never anyone else's.
 */
public final class Docker {
    public static final String OWNER_LABEL = "dev.agentkernel.owner=" + InstanceId.current();

    private Docker() {
    }

    /** Containers (running or not) that this JVM's agentkernel made. */
    public static List<String> ours() {
        return lines("docker", "ps", "-aq", "--filter", "label=" + OWNER_LABEL);
    }

    /** Removes what this JVM made (after a failed test); never touches other owners' containers. */
    public static void removeOurs() {
        List<String> ids = ours();
        if (!ids.isEmpty()) {
            List<String> cmd = new ArrayList<>(List.of("docker", "rm", "-f"));
            cmd.addAll(ids);
            lines(cmd.toArray(String[]::new));
        }
    }

    static List<String> lines(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
