package dev.agentkernel.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A command for a temporary sandbox ({@code POST /run}, {@code /run/stream}, batch items). Null fields are left
 * to the server's defaults (image detected from the command, default profile, pool on).
 *
 * @param profile  {@code permissive}, {@code moderate} or {@code restrictive}, or null
 * @param fast     use the warm pool; null for the server default (true)
 * @param timeout  kill the command's process tree after this long, or null for the server default
 * @param stdin    text written to the command's stdin, or null
 */
public record RunRequest(List<String> command, String image, String profile, Boolean fast, Integer vcpus,
                         Integer memoryMb, Map<String, String> env, String workdir, Duration timeout, String stdin) {
    public RunRequest {
        command = ExecRequest.checkCommand(command);
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    public static RunRequest of(String... command) {
        return of(List.of(command));
    }

    public static RunRequest of(List<String> command) {
        return new RunRequest(command, null, null, null, null, null, Map.of(), null, null, null);
    }

    public RunRequest withImage(String newImage) {
        return new RunRequest(command, newImage, profile, fast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withProfile(String newProfile) {
        return new RunRequest(command, image, newProfile, fast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withFast(boolean newFast) {
        return new RunRequest(command, image, profile, newFast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withLimits(int newVcpus, int newMemoryMb) {
        return new RunRequest(command, image, profile, fast, newVcpus, newMemoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withEnv(Map<String, String> newEnv) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, newEnv, workdir, timeout, stdin);
    }

    public RunRequest withWorkdir(String newWorkdir) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, newWorkdir, timeout, stdin);
    }

    public RunRequest withTimeout(Duration newTimeout) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, workdir, newTimeout, stdin);
    }

    public RunRequest withStdin(String newStdin) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, workdir, timeout, newStdin);
    }

    /** The command part, as an exec in a named sandbox would take it. */
    ExecRequest asExec() {
        return new ExecRequest(command, env, workdir, timeout, stdin);
    }
}
