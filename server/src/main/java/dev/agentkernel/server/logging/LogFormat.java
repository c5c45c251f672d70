package dev.agentkernel.server.logging;

import java.util.Locale;
import java.util.Map;

/**
 * Chooses the log format of the process: {@code text} (the default, SLF4J's simple logger) or {@code json} (one JSON
 * object per line on stderr, {@link JsonLogProvider}), from {@value #ENV} or the system property {@value #PROPERTY}.
 * Must run before the first logger is made, i.e. first thing in {@code main}.
 */
public final class LogFormat {
    public static final String ENV = "AGENTKERNEL_LOG_FORMAT";
    public static final String PROPERTY = "agentkernel.log.format";

    private LogFormat() {
    }

    /**
     * Applies the format asked for.
     *
     * @throws IllegalArgumentException naming {@value #ENV} when the value is neither {@code text} nor {@code json}
     */
    public static void configure(Map<String, String> env) {
        String value = System.getProperty(PROPERTY, env.getOrDefault(ENV, "text"));
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "", "text" -> {
                // SLF4J finds the simple logger on the class path
            }
            case "json" -> {
                // Named explicitly, SLF4J uses this provider without scanning (no "multiple providers" warning),
                // and its own start-up notice is not printed as a non-JSON line.
                System.setProperty("slf4j.provider", JsonLogProvider.class.getName());
                System.setProperty("slf4j.internal.verbosity", System.getProperty("slf4j.internal.verbosity", "WARN"));
            }
            default -> throw new IllegalArgumentException(ENV + " must be text or json, not '" + value + "'");
        }
    }
}
