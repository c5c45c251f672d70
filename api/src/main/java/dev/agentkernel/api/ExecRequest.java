package dev.agentkernel.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One command to run in a sandbox. {@code argv} is passed as argv, never joined into a shell string.
 *
 * @param env            extra environment variables (added to the sandbox's own)
 * @param workdir        absolute working directory, or null for the sandbox default
 * @param timeout        after this the command's whole process tree is killed; null means no limit
 * @param stdin          bytes written to the command's stdin, followed by EOF; null means an empty stdin
 * @param maxOutputBytes cap per stream (stdout, stderr); output beyond it is dropped and {@code truncated} set.
 *                       0 leaves it to the kernel ({@code limits.max_output_bytes}; a backend called directly
 *                       gets {@link #DEFAULT_MAX_OUTPUT_BYTES})
 * @param sudo           run as root inside the sandbox (upstream's {@code sudo: true}); refused with
 *                       {@code FORBIDDEN} where the profile or the configuration ({@code sandbox.allow_sudo}) forbids it
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String workdir, Duration timeout, byte[] stdin,
                          long maxOutputBytes, boolean sudo) {
    public static final long DEFAULT_MAX_OUTPUT_BYTES = 10L * 1024 * 1024;

    public ExecRequest {
        if (argv == null || argv.isEmpty()) {
            throw Validation.invalid("Invalid command: 'command' must be a non-empty array of strings");
        }
        if (argv.size() > Validation.MAX_ARGS) {
            throw Validation.invalid("Invalid command: more than " + Validation.MAX_ARGS + " arguments");
        }
        long bytes = 0;
        for (String arg : argv) {
            if (arg == null) {
                throw Validation.invalid("Invalid command: arguments must be strings, not null");
            }
            Validation.noNul("command", arg);
            bytes += arg.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        if (argv.get(0).isEmpty()) {
            throw Validation.invalid("Invalid command: the program name (command[0]) is empty");
        }
        if (bytes > Validation.MAX_ARGV_BYTES) {
            throw Validation.invalid("Invalid command: arguments exceed " + Validation.MAX_ARGV_BYTES + " bytes");
        }
        argv = List.copyOf(argv);
        env = env == null ? Map.of() : Map.copyOf(env);
        for (Map.Entry<String, String> e : env.entrySet()) {
            Validation.envKey(e.getKey());
            Validation.noNul("env value of " + e.getKey(), e.getValue());
            bytes += e.getKey().length() + 1 + (e.getValue() == null ? 0 : e.getValue().getBytes(StandardCharsets.UTF_8).length) + 1;
        }
        // The kernel's limit (ARG_MAX) covers argv and the environment together: refuse here, not as a failed exec.
        if (bytes > Validation.MAX_ARGV_BYTES) {
            throw Validation.invalid("Invalid env: arguments and environment exceed " + Validation.MAX_ARGV_BYTES + " bytes");
        }
        if (workdir != null) {
            workdir = Validation.sandboxPath(workdir);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw Validation.invalid("Invalid timeout_ms: must be positive");
        }
        if (maxOutputBytes <= 0) {
            maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;
        }
    }

    /** As the sandbox's own user. */
    public ExecRequest(List<String> argv, Map<String, String> env, String workdir, Duration timeout, byte[] stdin,
                       long maxOutputBytes) {
        this(argv, env, workdir, timeout, stdin, maxOutputBytes, false);
    }

    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), null, null, null, DEFAULT_MAX_OUTPUT_BYTES);
    }

    public static ExecRequest of(List<String> argv) {
        return new ExecRequest(argv, Map.of(), null, null, null, DEFAULT_MAX_OUTPUT_BYTES);
    }

    public ExecRequest withTimeout(Duration newTimeout) {
        return new ExecRequest(argv, env, workdir, newTimeout, stdin, maxOutputBytes, sudo);
    }

    public ExecRequest withEnv(Map<String, String> newEnv) {
        return new ExecRequest(argv, newEnv, workdir, timeout, stdin, maxOutputBytes, sudo);
    }

    public ExecRequest withWorkdir(String newWorkdir) {
        return new ExecRequest(argv, env, newWorkdir, timeout, stdin, maxOutputBytes, sudo);
    }

    public ExecRequest withStdin(byte[] newStdin) {
        return new ExecRequest(argv, env, workdir, timeout, newStdin, maxOutputBytes, sudo);
    }

    public ExecRequest withSudo(boolean newSudo) {
        return new ExecRequest(argv, env, workdir, timeout, stdin, maxOutputBytes, newSudo);
    }

    public ExecRequest withMaxOutputBytes(long newMax) {
        return new ExecRequest(argv, env, workdir, timeout, stdin, newMax, sudo);
    }
}
