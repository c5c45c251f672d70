package dev.agentkernel.mcp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A few builders for the JSON Schema (draft 2020-12 subset) of the tools' inputs, as the maps MCP sends. */
final class JsonSchemas {
    private JsonSchemas() {
    }

    static Map<String, Object> string(String description) {
        return node("string", description);
    }

    static Map<String, Object> string(String description, int minLength, int maxLength) {
        Map<String, Object> s = node("string", description);
        s.put("minLength", minLength);
        s.put("maxLength", maxLength);
        return s;
    }

    static Map<String, Object> pattern(String description, String regex, int maxLength) {
        Map<String, Object> s = node("string", description);
        s.put("pattern", regex);
        s.put("maxLength", maxLength);
        return s;
    }

    static Map<String, Object> enumeration(String description, List<String> values, String defaultValue) {
        Map<String, Object> s = node("string", description);
        s.put("enum", List.copyOf(values));
        if (defaultValue != null) {
            s.put("default", defaultValue);
        }
        return s;
    }

    static Map<String, Object> integer(String description, long minimum, long maximum) {
        Map<String, Object> s = node("integer", description);
        s.put("minimum", minimum);
        s.put("maximum", maximum);
        return s;
    }

    static Map<String, Object> bool(String description, boolean defaultValue) {
        Map<String, Object> s = node("boolean", description);
        s.put("default", defaultValue);
        return s;
    }

    static Map<String, Object> stringArray(String description, int minItems, int maxItems) {
        Map<String, Object> s = node("array", description);
        s.put("items", Map.of("type", "string"));
        s.put("minItems", minItems);
        s.put("maxItems", maxItems);
        return s;
    }

    /** An object whose keys match {@code keyPattern} and whose values are strings (e.g. environment variables). */
    static Map<String, Object> stringMap(String description, String keyPattern) {
        Map<String, Object> s = node("object", description);
        s.put("propertyNames", Map.of("pattern", keyPattern));
        s.put("additionalProperties", Map.of("type", "string"));
        return s;
    }

    /** Starts an object schema that allows no properties but the declared ones. */
    static ObjectSchema object() {
        return new ObjectSchema();
    }

    private static Map<String, Object> node(String type, String description) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", type);
        s.put("description", description);
        return s;
    }

    /** An object schema under construction; {@link #build()} gives the map. */
    static final class ObjectSchema {
        private final Map<String, Object> properties = new LinkedHashMap<>();
        private final List<String> required = new ArrayList<>();

        ObjectSchema required(String name, Map<String, Object> schema) {
            properties.put(name, schema);
            required.add(name);
            return this;
        }

        ObjectSchema optional(String name, Map<String, Object> schema) {
            properties.put(name, schema);
            return this;
        }

        Set<String> names() {
            return Set.copyOf(properties.keySet());
        }

        Map<String, Object> build() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("type", "object");
            s.put("properties", new LinkedHashMap<>(properties));
            if (!required.isEmpty()) {
                s.put("required", List.copyOf(required));
            }
            s.put("additionalProperties", false);
            return s;
        }
    }
}
