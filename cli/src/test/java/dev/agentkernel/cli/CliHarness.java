package dev.agentkernel.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs the CLI in-process with captured stdout/stderr and no colour, as the tests need. */
public final class CliHarness {
    private final ClientFactory factory;
    private final Map<String, String> env;

    public CliHarness(ClientFactory factory, Map<String, String> env) {
        this.factory = factory;
        this.env = env;
    }

    public CliHarness(ClientFactory factory) {
        this(factory, Map.of());
    }

    public Result run(String... args) {
        CommandLine cl = AgentKernelCli.create(factory, env);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** What one invocation printed and returned. */
    public record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
