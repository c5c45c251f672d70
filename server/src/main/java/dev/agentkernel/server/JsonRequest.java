package dev.agentkernel.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.agentkernel.api.AgentKernelException.InvalidRequestException;
import dev.agentkernel.api.Validation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON object request body with typed field access. Unknown fields are ignored; a JSON {@code null} counts as
 * absent; a field of the wrong type is an {@link InvalidRequestException} that names it.
 */
final class JsonRequest {
    private static final ObjectReader READER = Wire.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final JsonNode node;
    private final String prefix;

    private JsonRequest(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static JsonRequest parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new InvalidRequestException("Invalid request: a JSON object body is required");
        }
        requireUtf8(body);
        JsonNode node;
        try {
            node = READER.readTree(body);
        } catch (StreamConstraintsException e) {
            throw new InvalidRequestException("Invalid JSON: nested deeper than " + Wire.MAX_NESTING + " levels");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InvalidRequestException("Invalid JSON: malformed body"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
        } catch (IOException e) {
            throw new InvalidRequestException("Invalid JSON: unreadable body");
        }
        return of(node, "");
    }

    /**
     * Refuses bodies that are not well-formed UTF-8. Jackson's byte decoder accepts overlong forms (C0 AF decodes
     * to '/'), the classic way to slip a '/' or '..' past a filter; the JDK's strict decoder does not.
     */
    private static void requireUtf8(byte[] body) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("Invalid JSON: the body is not valid UTF-8");
        }
    }

    /** Wraps a nested object, e.g. an item of a batch; field names in errors get the given prefix. */
    static JsonRequest of(JsonNode node, String prefix) {
        if (node == null || !node.isObject()) {
            throw new InvalidRequestException("Invalid request: " + (prefix.isEmpty() ? "the body" : "'" + strip(prefix) + "'")
                    + " must be a JSON object");
        }
        return new JsonRequest(node, prefix);
    }

    private static String strip(String prefix) {
        return prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    private JsonNode get(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String field) {
        return get(field) != null;
    }

    private InvalidRequestException wrongType(String field, String expected) {
        return new InvalidRequestException("Invalid " + prefix + field + ": '" + prefix + field + "' must be " + expected);
    }

    /** A required non-empty array of strings (the command's argv). */
    List<String> command(String field) {
        JsonNode v = get(field);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw wrongType(field, "a non-empty array of strings");
        }
        return texts(v, field, "a non-empty array of strings");
    }

    /** A required array of JSON objects. */
    List<JsonRequest> objects(String field) {
        JsonNode v = get(field);
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw wrongType(field, "a non-empty array of objects");
        }
        List<JsonRequest> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            out.add(of(v.get(i), prefix + field + "[" + i + "]."));
        }
        return out;
    }

    String string(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string");
        }
        return v.textValue();
    }

    /** An optional array of strings; absent or JSON null is an empty list (the SDKs send null). */
    List<String> strings(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw wrongType(field, "an array of strings");
        }
        return texts(v, field, "an array of strings");
    }

    /** The items of the array {@code v}, each of which must be a string. */
    private List<String> texts(JsonNode v, String field, String expected) {
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw wrongType(field, expected);
            }
            out.add(item.textValue());
        }
        return out;
    }

    String requiredString(String field) {
        String s = string(field);
        if (s == null) {
            throw new InvalidRequestException("Invalid " + prefix + field + ": '" + prefix + field + "' is required");
        }
        return s;
    }

    Integer integer(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw wrongType(field, "an integer");
        }
        return v.intValue();
    }

    /** A list of integers; empty when absent or null. */
    List<Integer> integers(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw wrongType(field, "an array of integers");
        }
        List<Integer> out = new java.util.ArrayList<>();
        for (JsonNode n : v) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw wrongType(field, "an array of integers");
            }
            out.add(n.intValue());
        }
        return out;
    }

    Long longInteger(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(field, "an integer");
        }
        return v.longValue();
    }

    boolean bool(String field, boolean fallback) {
        JsonNode v = get(field);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, "true or false");
        }
        return v.booleanValue();
    }

    /**
     * Environment variables as an object of strings, or (as the upstream SDKs send them) an array of
     * {@code "NAME=value"} strings. Names and values are validated by the core value types.
     */
    Map<String, String> env(String field) {
        JsonNode v = get(field);
        Map<String, String> env = new LinkedHashMap<>();
        if (v == null) {
            return env;
        }
        if (v.isObject()) {
            return stringMap(field);
        }
        if (v.isArray()) {
            for (JsonNode item : v) {
                int eq = item.isTextual() ? item.textValue().indexOf('=') : -1;
                if (eq <= 0) {
                    throw wrongType(field, "an object of strings or an array of \"NAME=value\" strings");
                }
                env.put(item.textValue().substring(0, eq), item.textValue().substring(eq + 1));
            }
            return env;
        }
        throw wrongType(field, "an object of strings or an array of \"NAME=value\" strings");
    }

    /** A duration as upstream sends it: a string ({@code "30m"}) or a number of seconds; null when absent. */
    String durationText(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue().strip();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Long.toString(v.longValue());
        }
        throw wrongType(field, "a duration such as \"30m\", \"1h30m\" or a number of seconds");
    }

    /** An object whose values are all strings (keys kept in order); null when absent. */
    Map<String, String> stringMap(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(field, "an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidRequestException("Invalid " + prefix + field + ": the value of '"
                        + Validation.printable(e.getKey()) + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }
}
