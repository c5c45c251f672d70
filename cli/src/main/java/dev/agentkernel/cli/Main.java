package dev.agentkernel.cli;

import dev.agentkernel.server.logging.LogFormat;

import java.util.Arrays;
import java.util.List;

/** The {@code agentkernel} executable. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        try {
            LogFormat.configure(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
        configureLogging(args);
        System.exit(AgentKernelCli.create().execute(args));
    }

    /**
     * Library logs stay off the terminal of a one-shot command (the CLI reports what matters itself);
     * {@code serve} logs like a server; {@code --debug} shows everything. Set before any logger exists.
     */
    static void configureLogging(String[] args) {
        List<String> before = Arrays.asList(args).subList(0, dashDash(args));
        boolean debug = before.contains("--debug");
        boolean verbose = before.contains("-v") || before.contains("--verbose");
        String level = debug ? "debug" : before.contains("serve") ? "info" : verbose ? "warn" : "off";
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", level);
        // docker-java logs expected failures (e.g. a pull on an offline host) as errors with stack traces.
        setDefault("org.slf4j.simpleLogger.log.com.github.dockerjava", debug ? "debug" : "off");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    private static void setDefault(String key, String value) {
        System.setProperty(key, System.getProperty(key, value));
    }

    private static int dashDash(String[] args) {
        int i = Arrays.asList(args).indexOf("--");
        return i < 0 ? args.length : i;
    }
}
