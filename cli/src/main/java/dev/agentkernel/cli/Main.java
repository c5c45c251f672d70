package dev.agentkernel.cli;

import java.util.Arrays;
import java.util.List;

/** The {@code agentkernel} executable. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        configureLogging(args);
        System.exit(AgentKernelCli.create().execute(args));
    }

    /**
     * Library logs stay off the terminal of a one-shot command (the CLI reports what matters itself);
     * {@code serve} logs like a server; {@code --debug} shows everything. Set before any logger exists.
     */
    static void configureLogging(String[] args) {
        List<String> before = Arrays.asList(args).subList(0, dashDash(args));
        String level = before.contains("--debug") ? "debug" : before.contains("serve") ? "info" : "error";
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", level));
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    private static int dashDash(String[] args) {
        int i = Arrays.asList(args).indexOf("--");
        return i < 0 ? args.length : i;
    }
}
