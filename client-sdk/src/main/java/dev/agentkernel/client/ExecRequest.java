package dev.agentkernel.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A command for a named sandbox ({@code POST /sandboxes/{name}/exec} and {@code /exec/stream}). The command is
 * argv, never joined into a shell string.
 *
 * @param workdir absolute working directory, or null for the sandbox default
 * @param timeout kill the command's process tree after this long, or null for the server default
 * @param stdin   text written to the command's stdin, or null
 */
public record ExecRequest(List<String> command, Map<String, String> env, String workdir, Duration timeout,
                          String stdin) {
    public ExecRequest {
        command = checkCommand(command);
        env = env == null ? Map.of() : Map.copyOf(env);
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("timeout must be positive");
        }
    }

    public static ExecRequest of(String... command) {
        return of(List.of(command));
    }

    public static ExecRequest of(List<String> command) {
        return new ExecRequest(command, Map.of(), null, null, null);
    }

    public ExecRequest withEnv(Map<String, String> newEnv) {
        return new ExecRequest(command, newEnv, workdir, timeout, stdin);
    }

    public ExecRequest withWorkdir(String newWorkdir) {
        return new ExecRequest(command, env, newWorkdir, timeout, stdin);
    }

    public ExecRequest withTimeout(Duration newTimeout) {
        return new ExecRequest(command, env, workdir, newTimeout, stdin);
    }

    public ExecRequest withStdin(String newStdin) {
        return new ExecRequest(command, env, workdir, timeout, newStdin);
    }

    static List<String> checkCommand(List<String> command) {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("command must be a non-empty list of strings");
        }
        return List.copyOf(command); // rejects null elements
    }
}
