package dev.agentkernel.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Where a command's text goes: data on {@code out}, progress, notes and errors on {@code err}. Colour only
 * when the command line's colour scheme allows it (picocli's AUTO: a terminal, no NO_COLOR).
 */
public final class Console {
    private final PrintWriter out;
    private final PrintWriter err;
    private final CommandLine.Help.Ansi ansi;
    private final boolean verbose;

    public Console(CommandLine commandLine, boolean verbose) {
        this.out = commandLine.getOut();
        this.err = commandLine.getErr();
        this.ansi = commandLine.getColorScheme().ansi();
        this.verbose = verbose;
    }

    public PrintWriter out() {
        return out;
    }

    public PrintWriter err() {
        return err;
    }

    public boolean verbose() {
        return verbose;
    }

    /** Applies picocli markup such as {@code @|green running|@}; plain text when colour is off. */
    public String style(String markup) {
        return ansi.string(markup);
    }

    public boolean colour() {
        return ansi.enabled();
    }

    /** A step of long work (setup, image builds), always shown: the user must know why they wait. */
    public void progress(String message) {
        err.println("agentkernel: " + message);
        err.flush();
    }

    /** Detail shown only with {@code -v}. */
    public void detail(String message) {
        if (verbose) {
            err.println("agentkernel: " + message);
            err.flush();
        }
    }

    public void warn(String message) {
        err.println(style("@|yellow warning:|@ ") + message);
        err.flush();
    }
}
