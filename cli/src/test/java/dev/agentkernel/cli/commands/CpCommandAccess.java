package dev.agentkernel.cli.commands;

import java.util.List;

/** Exposes the package-private path parsing of {@link CpCommand} to tests in another package. */
public final class CpCommandAccess {
    private CpCommandAccess() {
    }

    public static List<String> remote(String arg) {
        CpCommand.Remote r = CpCommand.remote(arg);
        return r == null ? null : List.of(r.sandbox(), r.path(), String.valueOf(r.trailingSlash()));
    }
}
