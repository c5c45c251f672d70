package dev.agentkernel.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command that runs until stopped (e.g. {@code port}'s forwarder), in-process on a thread of its own: the test
 * waits for a line of its output, then interrupts it, as Ctrl-C ends the wait.
 */
public final class LiveCli {
    private final Watched out = new Watched();
    private final StringWriter err = new StringWriter();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Thread thread;

    private LiveCli(ClientFactory factory, Map<String, String> env, String... args) {
        CommandLine cl = AgentKernelCli.create(factory, env);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        thread = new Thread(() -> exit.complete(cl.execute(args)), "live-cli");
        thread.setDaemon(true);
    }

    public static LiveCli start(ClientFactory factory, Map<String, String> env, String... args) {
        LiveCli cli = new LiveCli(factory, env, args);
        cli.thread.start();
        return cli;
    }

    /** Waits (up to {@code within}) for stdout to match {@code p}. */
    public Matcher awaitOut(Pattern p, Duration within) throws InterruptedException {
        return out.await(p, within, this);
    }

    /** Interrupts the command, as Ctrl-C ends its wait. */
    public void interrupt() {
        thread.interrupt();
    }

    /** The exit status, waiting up to {@code within}. */
    public int exitCode(Duration within) throws Exception {
        return exit.get(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String err() {
        return err.toString();
    }

    /** Collects what the command prints and lets the test wait for a line. */
    private static final class Watched extends Writer {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(char[] buf, int off, int len) {
            text.append(buf, off, len);
            notifyAll();
        }

        synchronized Matcher await(Pattern p, Duration within, LiveCli cli) throws InterruptedException {
            long end = System.currentTimeMillis() + within.toMillis();
            while (true) {
                Matcher m = p.matcher(text);
                if (m.find()) {
                    return m;
                }
                long left = end - System.currentTimeMillis();
                if (left <= 0 || cli.exit.isDone()) {
                    throw new AssertionError("never printed " + p + "; stdout: " + text + "; stderr: " + cli.err()
                            + (cli.exit.isDone() ? "; exited " + cli.exit.join() : ""));
                }
                wait(Math.min(left, 200));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
