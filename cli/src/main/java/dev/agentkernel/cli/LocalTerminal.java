package dev.agentkernel.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The user's terminal, through {@code stty} on {@code /dev/tty} (no native code, no extra library): its size, raw
 * mode for the length of a session (every key goes to the sandbox, Ctrl-C included), and the settings restored
 * afterwards, also when the JVM is ended by a signal. Without a terminal (input from a pipe) nothing is changed.
 */
public final class LocalTerminal implements AutoCloseable {
    private static final File TTY = new File("/dev/tty");
    private final String saved;
    private final Thread restoreOnExit;

    private LocalTerminal(String saved) {
        this.saved = saved;
        this.restoreOnExit = saved == null ? null : new Thread(this::restore, "agentkernel-tty-restore");
        if (restoreOnExit != null) {
            Runtime.getRuntime().addShutdownHook(restoreOnExit);
        }
    }

    /** Raw mode when stdin is a terminal (the settings before are restored by {@link #close}); else a no-op. */
    public static LocalTerminal raw() {
        if (System.console() == null || !TTY.canRead()) {
            return new LocalTerminal(null);
        }
        String saved = stty("-g");
        if (saved == null || stty("raw", "-echo") == null) {
            return new LocalTerminal(null);
        }
        return new LocalTerminal(saved.trim());
    }

    public boolean isRaw() {
        return saved != null;
    }

    /** {rows, cols} of the terminal, or null when there is none (or it reports 0x0). */
    public static int[] size() {
        if (!TTY.canRead()) {
            return null;
        }
        String s = stty("size");
        if (s == null) {
            return null;
        }
        String[] parts = s.trim().split("\\s+");
        try {
            int rows = Integer.parseInt(parts[0]);
            int cols = Integer.parseInt(parts[1]);
            return rows > 0 && cols > 0 ? new int[]{rows, cols} : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void restore() {
        if (saved != null) {
            stty(saved);
        }
    }

    @Override
    public void close() {
        restore();
        if (restoreOnExit != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** Runs stty with /dev/tty as its stdin; its output, or null when it failed. */
    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
