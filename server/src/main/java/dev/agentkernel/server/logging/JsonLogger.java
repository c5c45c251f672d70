package dev.agentkernel.server.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventAware;
import org.slf4j.spi.MDCAdapter;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One JSON object per line: {@code ts}, {@code level}, {@code logger}, {@code thread}, {@code message}, the MDC
 * entries (e.g. {@code request_id}), the event's key-value pairs (the access log's fields) and, for a throwable,
 * {@code error} and {@code stack}. Control characters are escaped by the JSON encoder, so a message cannot forge a
 * line.
 */
final class JsonLogger extends LegacyAbstractLogger implements LoggingEventAware {
    private static final long serialVersionUID = 1L;
    private static final JsonFactory JSON = new JsonFactory();
    static final String LEVEL_PREFIX = "org.slf4j.simpleLogger.log.";
    static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    /** Above every level: nothing is logged. */
    private static final int OFF = Integer.MAX_VALUE;

    private final transient PrintStream out;
    private final transient MDCAdapter mdc;
    private final int threshold;

    /** @param mdc the provider's MDC, whose entries each line carries */
    JsonLogger(String name, int threshold, PrintStream out, MDCAdapter mdc) {
        this.name = name;
        this.threshold = threshold;
        this.out = out;
        this.mdc = mdc;
    }

    /**
     * The threshold of a logger as the simple logger reads it: {@code org.slf4j.simpleLogger.log.<name>} of the name
     * or its nearest dotted parent, else {@code org.slf4j.simpleLogger.defaultLogLevel}, else info.
     */
    static int levelOf(String name, UnaryOperator<String> properties) {
        for (String n = name; ; n = n.substring(0, n.lastIndexOf('.'))) {
            String v = properties.apply(LEVEL_PREFIX + n);
            if (v != null) {
                return parse(v);
            }
            if (n.lastIndexOf('.') < 0) {
                break;
            }
        }
        String d = properties.apply(DEFAULT_LEVEL);
        return parse(d == null ? "info" : d);
    }

    private static int parse(String level) {
        return switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.TRACE.toInt();
            case "debug" -> Level.DEBUG.toInt();
            case "warn" -> Level.WARN.toInt();
            case "error" -> Level.ERROR.toInt();
            case "off" -> OFF;
            default -> Level.INFO.toInt();
        };
    }

    private boolean enabled(Level level) {
        return level.toInt() >= threshold;
    }

    @Override
    public boolean isTraceEnabled() {
        return enabled(Level.TRACE);
    }

    @Override
    public boolean isDebugEnabled() {
        return enabled(Level.DEBUG);
    }

    @Override
    public boolean isInfoEnabled() {
        return enabled(Level.INFO);
    }

    @Override
    public boolean isWarnEnabled() {
        return enabled(Level.WARN);
    }

    @Override
    public boolean isErrorEnabled() {
        return enabled(Level.ERROR);
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
        write(level, Thread.currentThread().getName(), System.currentTimeMillis(), pattern, args, t, List.of());
    }

    /** The fluent API's events, with their key-value pairs. */
    @Override
    public void log(LoggingEvent e) {
        if (!enabled(e.getLevel())) {
            return;
        }
        write(e.getLevel(), e.getThreadName() != null ? e.getThreadName() : Thread.currentThread().getName(),
                e.getTimeStamp() > 0 ? e.getTimeStamp() : System.currentTimeMillis(), e.getMessage(), e.getArgumentArray(),
                e.getThrowable(), e.getKeyValuePairs() == null ? List.of() : e.getKeyValuePairs());
    }

    private void write(Level level, String thread, long millis, String pattern, Object[] args, Throwable t,
                       List<KeyValuePair> pairs) {
        var formatted = MessageFormatter.basicArrayFormat(pattern, args);
        StringWriter line = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            g.writeStringField("ts", Instant.ofEpochMilli(millis).toString());
            g.writeStringField("level", level.toString());
            g.writeStringField("logger", name);
            g.writeStringField("thread", thread);
            g.writeStringField("message", formatted);
            Map<String, String> context = mdc.getCopyOfContextMap();
            if (context != null) {
                for (Map.Entry<String, String> e : context.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
            }
            for (KeyValuePair p : pairs) {
                g.writeFieldName(p.key);
                if (p.value instanceof Number n && Double.isFinite(n.doubleValue())) {
                    g.writeNumber(n.toString());
                } else if (p.value instanceof Boolean b) {
                    g.writeBoolean(b);
                } else {
                    g.writeString(String.valueOf(p.value));
                }
            }
            if (t != null) {
                g.writeStringField("error", t.toString());
                StringWriter stack = new StringWriter();
                t.printStackTrace(new PrintWriter(stack));
                g.writeStringField("stack", stack.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }
}
