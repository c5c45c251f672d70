package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException.InvalidRequestException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, checked access to a tool call's JSON arguments. Every failure is an {@link InvalidRequestException}
 * that names the argument, so the agent can correct its call. The SDK also validates against the input schema;
 * this is the check that holds when it does not (other transports, unit tests) and that turns JSON into values.
 */
final class ToolArguments {
    private final String tool;
    private final Map<String, Object> values;

    ToolArguments(String tool, Map<String, Object> values) {
        this.tool = tool;
        this.values = values == null ? Map.of() : values;
    }

    /** Rejects arguments the tool does not declare (a misspelt {@code timeout_ms} must not pass silently). */
    ToolArguments allowOnly(Set<String> declared) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(declared);
        if (!unknown.isEmpty()) {
            throw invalid("unknown argument" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + "; allowed: " + String.join(", ", new TreeSet<>(declared)));
        }
        return this;
    }

    boolean has(String name) {
        return values.get(name) != null;
    }

    String requiredString(String name) {
        String s = optionalString(name);
        if (s == null) {
            throw invalid("'" + name + "' is required");
        }
        return s;
    }

    String optionalString(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw invalid("'" + name + "' must be a string, got " + typeOf(v));
        }
        return s;
    }

    List<String> requiredStringList(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw invalid("'" + name + "' is required (an array of strings, e.g. [\"ls\", \"-la\"])");
        }
        if (!(v instanceof List<?> list)) {
            throw invalid("'" + name + "' must be an array of strings (argv, e.g. [\"sh\", \"-c\", \"echo hi\"]), got "
                    + typeOf(v));
        }
        if (list.isEmpty()) {
            throw invalid("'" + name + "' must not be empty");
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw invalid("'" + name + "[" + i + "]' must be a string, got " + typeOf(list.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    Map<String, String> stringMap(String name) {
        Object v = values.get(name);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> map)) {
            throw invalid("'" + name + "' must be an object of string values, e.g. {\"DEBUG\": \"1\"}, got " + typeOf(v));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw invalid("'" + name + "." + e.getKey() + "' must be a string, got " + typeOf(e.getValue()));
            }
            out.put(String.valueOf(e.getKey()), s);
        }
        return out;
    }

    Boolean optionalBoolean(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Boolean b)) {
            throw invalid("'" + name + "' must be true or false, got " + typeOf(v));
        }
        return b;
    }

    /** An integer in [min, max]; JSON numbers with a fraction, and out-of-range values, are rejected. */
    Long optionalLong(String name, long min, long max) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n)) {
            throw invalid("'" + name + "' must be an integer, got " + typeOf(v));
        }
        long value;
        try {
            value = new BigDecimal(n.toString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw invalid("'" + name + "' must be an integer between " + min + " and " + max + ", got " + n);
        }
        if (value < min || value > max) {
            throw invalid("'" + name + "' must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    Integer optionalInt(String name, int min, int max) {
        Long v = optionalLong(name, min, max);
        return v == null ? null : v.intValue();
    }

    int requiredInt(String name, int min, int max) {
        Integer v = optionalInt(name, min, max);
        if (v == null) {
            throw invalid("'" + name + "' is required");
        }
        return v;
    }

    /** One of the given words, or null when absent. */
    String optionalEnum(String name, List<String> allowed) {
        String s = optionalString(name);
        if (s != null && !allowed.contains(s)) {
            throw invalid("'" + name + "' must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
        }
        return s;
    }

    /**
     * The first present of two names for the same thing (e.g. {@code workdir} and its upstream alias {@code cwd});
     * both with different values is an error.
     */
    String aliasedString(String name, String alias) {
        String a = optionalString(name);
        String b = optionalString(alias);
        if (a != null && b != null && !a.equals(b)) {
            throw invalid("give either '" + name + "' or '" + alias + "', not both with different values");
        }
        return a != null ? a : b;
    }

    InvalidRequestException invalid(String message) {
        return new InvalidRequestException("Invalid arguments for " + tool + ": " + message);
    }

    private static String typeOf(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof Map) {
            return "an object";
        }
        return v.getClass().getSimpleName();
    }
}
