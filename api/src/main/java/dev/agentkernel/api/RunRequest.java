package dev.agentkernel.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A command to run in a temporary sandbox ({@code POST /run}, {@code agentkernel run}).
 *
 * @param image   null to auto-detect from the command
 * @param profile null for the configured default
 * @param fast    take a warm sandbox from the pool when one matches (default true)
 * @param vcpus   null for the configured default
 * @param memoryMb null for the configured default
 * @param timeout null for the configured default
 */
public record RunRequest(List<String> command, String image, SecurityProfile profile, boolean fast, Integer vcpus,
                         Integer memoryMb, Map<String, String> env, String workdir, Duration timeout, byte[] stdin) {
    public RunRequest {
        // Validates argv, env, workdir and timeout with the same rules as a named exec.
        ExecRequest checked = new ExecRequest(command, env, workdir, timeout, stdin, 0);
        command = checked.argv();
        env = checked.env();
        workdir = checked.workdir();
        Validation.image(image);
        if (vcpus != null) {
            Validation.vcpus(vcpus);
        }
        if (memoryMb != null) {
            Validation.memoryMb(memoryMb);
        }
    }

    public static RunRequest of(String... command) {
        return new RunRequest(List.of(command), null, null, true, null, null, Map.of(), null, null, null);
    }

    public static RunRequest of(List<String> command) {
        return new RunRequest(command, null, null, true, null, null, Map.of(), null, null, null);
    }

    public RunRequest withImage(String newImage) {
        return new RunRequest(command, newImage, profile, fast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withProfile(SecurityProfile newProfile) {
        return new RunRequest(command, image, newProfile, fast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withFast(boolean newFast) {
        return new RunRequest(command, image, profile, newFast, vcpus, memoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withTimeout(Duration newTimeout) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, workdir, newTimeout, stdin);
    }

    public RunRequest withLimits(Integer newVcpus, Integer newMemoryMb) {
        return new RunRequest(command, image, profile, fast, newVcpus, newMemoryMb, env, workdir, timeout, stdin);
    }

    public RunRequest withEnv(Map<String, String> newEnv) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, newEnv, workdir, timeout, stdin);
    }

    public RunRequest withWorkdir(String newWorkdir) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, newWorkdir, timeout, stdin);
    }

    public RunRequest withStdin(byte[] newStdin) {
        return new RunRequest(command, image, profile, fast, vcpus, memoryMb, env, workdir, timeout, newStdin);
    }
}
