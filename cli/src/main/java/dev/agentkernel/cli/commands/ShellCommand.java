package dev.agentkernel.cli.commands;

import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.cli.EscapeFilter;
import dev.agentkernel.cli.LocalTerminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "shell", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Open an interactive terminal in a running named sandbox.",
        description = {"Your terminal is in raw mode while the session lasts: every key (Ctrl-C too) goes to the "
                + "sandbox, window size changes follow. agentkernel exits with the command's exit status. Type ~. at "
                + "the start of a line to close the session (its processes are killed) and exit with 0.", "",
                "Examples:", "  agentkernel shell dev", "  agentkernel shell dev -- python3",
                "  agentkernel --url http://127.0.0.1:18888 shell dev -w /tmp -- top"})
public final class ShellCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The sandbox.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD",
            description = "The command and its arguments (after --); the image's shell when none.")
    List<String> command = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (repeatable).")
    Map<String, String> env = new LinkedHashMap<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the sandbox.")
    String workdir;

    @Override
    protected int execute(Sandboxes client) throws Exception {
        int[] size = LocalTerminal.size();
        PtyRequest request = new PtyRequest(command, withTerm(env), workdir,
                size == null ? PtyRequest.DEFAULT_ROWS : size[0], size == null ? PtyRequest.DEFAULT_COLS : size[1]);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        try (LocalTerminal tty = LocalTerminal.raw()) {
            PtySession session = client.openPty(name, request, new PtyListener() {
                @Override
                public void onOutput(byte[] data) {
                    try {
                        out.write(data);
                        out.flush();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public void onExit(int exitCode) {
                }
            });
            if (tty.isRaw()) {
                WindowSize.follow(session);
            }
            AtomicBoolean detached = new AtomicBoolean();
            Thread input = new Thread(() -> pump(System.in, session, detached), "agentkernel-shell-input");
            input.setDaemon(true);
            input.start();
            try {
                int code = session.exitCode().get();
                return detached.get() ? 0 : code < 0 ? 1 : code;
            } catch (ExecutionException e) {
                return 1;
            } finally {
                session.close();
            }
        }
    }

    /** The local TERM goes along (the sandbox then speaks the user's terminal), unless -e TERM=... says otherwise. */
    private static Map<String, String> withTerm(Map<String, String> env) {
        String term = System.getenv("TERM");
        if (term == null || term.isBlank() || env.containsKey("TERM")) {
            return env;
        }
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put("TERM", term);
        return e;
    }

    /** Keys to the session until end of input or ~. (which closes the session and so ends the wait above). */
    private static void pump(InputStream in, PtySession session, AtomicBoolean detached) {
        EscapeFilter escape = new EscapeFilter();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] keys = escape.filter(buf, n);
                if (keys.length > 0) {
                    session.write(keys);
                }
                if (escape.detached()) {
                    System.err.print("\r\nagentkernel: session closed (~.)\r\n");
                    detached.set(true);
                    session.close();
                    return;
                }
            }
            session.write(new byte[]{4}); // end of input from a pipe: Ctrl-D, as typing it would
        } catch (IOException e) {
            session.close();
        }
    }
}
