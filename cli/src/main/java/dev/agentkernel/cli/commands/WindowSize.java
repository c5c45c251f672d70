package dev.agentkernel.cli.commands;

import dev.agentkernel.api.PtySession;
import dev.agentkernel.cli.LocalTerminal;
import sun.misc.Signal;

/**
 * Forwards the local terminal's size to a session when it changes: the JVM hears SIGWINCH through
 * {@code sun.misc.Signal} (the JDK's supported way for this signal), reads the size with stty and resizes.
 */
final class WindowSize {
    private WindowSize() {
    }

    static void follow(PtySession session) {
        try {
            Signal.handle(new Signal("WINCH"), sig -> {
                int[] size = LocalTerminal.size();
                if (size != null) {
                    Thread t = new Thread(() -> session.resize(size[0], size[1]), "agentkernel-resize");
                    t.setDaemon(true);
                    t.start();
                }
            });
        } catch (IllegalArgumentException e) {
            // no SIGWINCH here: the size stays what it was at the start
        }
    }
}
