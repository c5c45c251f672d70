package dev.agentkernel.kubesim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@code docker exec} and {@code docker attach} as child processes: the simplest faithful way to get a
 * container's stdin, stdout and stderr as three separate pipes, with stdin EOF passed on and the exit code of an exec
 * as the process's own. The CLI reads {@code DOCKER_HOST} from the environment it inherits, like the docker-java
 * client of {@link SimKubelet}.
 */
final class DockerCli {
    private final String executable;

    DockerCli(String executable) {
        this.executable = executable;
    }

    /** {@code docker exec [-i] CONTAINER argv...}: the command runs as the container's user, in its workdir. */
    Process exec(String containerId, List<String> argv, boolean stdin) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(executable, "exec"));
        if (stdin) {
            cmd.add("-i");
        }
        cmd.add(containerId);
        cmd.addAll(argv);
        return start(cmd, stdin);
    }

    /**
     * {@code docker attach} to the container's main process. Signals are not proxied, and ending this process detaches
     * without closing the container's stdin (the pod is made with {@code stdinOnce: false}), so the next attach finds
     * the main process as it was.
     */
    Process attach(String containerId, boolean stdin) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(executable, "attach", "--sig-proxy=false"));
        if (!stdin) {
            cmd.add("--no-stdin");
        }
        cmd.add(containerId);
        return start(cmd, stdin);
    }

    private static Process start(List<String> cmd, boolean stdin) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (!stdin) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        return pb.start();
    }
}
