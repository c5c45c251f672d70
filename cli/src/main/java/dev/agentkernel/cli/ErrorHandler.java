package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Turns every failure into one {@code error: <message>} line on stderr and an exit status from {@link ExitCodes}.
 * {@code -v} adds the error kind and causes; a stack trace only with {@code --debug}.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler, IExitCodeExceptionMapper {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("error: " + ex.getMessage());
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            err.println("Did you mean: " + String.join(", ", u.getSuggestions()) + "?");
        }
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        if (debug(cl)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        err.println("error: " + message(ex));
        if (verbose(cl)) {
            if (ex instanceof AgentKernelException ake) {
                err.println("  kind: " + ake.code().code() + " (exit status " + getExitCode(ex) + ")");
            }
            for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                err.println("  caused by: " + c.getClass().getSimpleName() + ": " + c.getMessage());
            }
        }
        if (debug(cl)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return getExitCode(ex);
    }

    @Override
    public int getExitCode(Throwable ex) {
        if (ex instanceof AgentKernelException ake) {
            return ExitCodes.of(ake.code());
        }
        if (ex instanceof ParameterException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.INTERNAL;
    }

    static String message(Throwable ex) {
        if (ex instanceof AgentKernelException) {
            return ex.getMessage();
        }
        if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
            Throwable io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
            return io.getClass().getSimpleName().replace("Exception", "") + ": " + io.getMessage();
        }
        String m = ex.getMessage();
        return "internal error (" + ex.getClass().getSimpleName() + (m == null ? "" : ": " + m)
                + "); run again with --debug for the stack trace";
    }

    private static AgentKernelCli root(CommandLine cl) {
        Object top = cl.getCommandSpec().root().userObject();
        return top instanceof AgentKernelCli a ? a : null;
    }

    private static boolean verbose(CommandLine cl) {
        AgentKernelCli r = root(cl);
        return r != null && r.verbose();
    }

    private static boolean debug(CommandLine cl) {
        AgentKernelCli r = root(cl);
        return r != null && r.debug();
    }
}
