package dev.agentkernel.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An interactive command on a pseudo-terminal in a named sandbox (a shell, a REPL, {@code vim}).
 *
 * @param command argv, never joined into a shell string; empty means {@link #DEFAULT_SHELL}
 * @param env     extra environment variables; {@code TERM} is {@value #DEFAULT_TERM} unless given
 * @param workdir absolute working directory, or null for the sandbox default
 * @param rows    initial height in character cells, 1 to {@value #MAX_CELLS}
 * @param cols    initial width in character cells, 1 to {@value #MAX_CELLS}
 */
public record PtyRequest(List<String> command, Map<String, String> env, String workdir, int rows, int cols) {
    /** The image's shell: bash when the image has it, else sh (every image of ours has /bin/sh). */
    public static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c",
            "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi");
    public static final String DEFAULT_TERM = "xterm-256color";
    public static final int MAX_CELLS = 10_000;
    /** The size when the caller knows none (no local terminal, no query parameter). */
    public static final int DEFAULT_ROWS = 24;
    public static final int DEFAULT_COLS = 80;

    public PtyRequest {
        command = command == null || command.isEmpty() ? DEFAULT_SHELL : command;
        // The same rules as any command: argv and environment sizes, NUL bytes, env names, an absolute workdir.
        ExecRequest checked = new ExecRequest(command, env, workdir, null, null, 0);
        command = checked.argv();
        env = checked.env();
        workdir = checked.workdir();
        checkSize(rows, cols);
    }

    public static PtyRequest shell(int rows, int cols) {
        return new PtyRequest(List.of(), Map.of(), null, rows, cols);
    }

    /** Throws {@code INVALID_REQUEST} unless both are within 1..{@value #MAX_CELLS}. */
    public static void checkSize(int rows, int cols) {
        if (rows < 1 || rows > MAX_CELLS || cols < 1 || cols > MAX_CELLS) {
            throw Validation.invalid("Invalid terminal size " + rows + "x" + cols + ": rows and cols must be 1-"
                    + MAX_CELLS);
        }
    }

    /** The environment the command gets on top of the sandbox's: the request's, with {@code TERM} defaulted. */
    public Map<String, String> effectiveEnv() {
        if (env.containsKey("TERM")) {
            return env;
        }
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("TERM", DEFAULT_TERM);
        return e;
    }
}
