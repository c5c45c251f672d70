package dev.agentkernel.mcp;

/**
 * Sends SLF4J Simple's log lines to stderr (stdout is the protocol channel). Must run before the first logger is
 * made; a system property set by the user wins. {@code AGENTKERNEL_LOG} sets the level (default {@code info}).
 */
public final class LogSetup {
    private LogSetup() {
    }

    public static void toStderr() {
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        String level = System.getenv("AGENTKERNEL_LOG");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level == null || level.isBlank() ? "info" : level);
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
