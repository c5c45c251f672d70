package dev.agentkernel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SecurityProfile;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the commands of {@code agentkernel batch}. Two forms:
 * <ul>
 *   <li>JSON: the API's body {@code {"commands":[{"command":["echo","hi"], "image":..., "profile":...,
 *       "timeout_ms":..., "env":{...}}]}}, or just the array, whose items may also be bare argv arrays;</li>
 *   <li>text: one command a line, words split as a POSIX shell would (single and double quotes, backslash);
 *       blank lines and lines starting with {@code #} are skipped. No shell runs: write {@code sh -c '...'}
 *       for pipes and variables.</li>
 * </ul>
 */
public final class BatchFile {
    private BatchFile() {
    }

    public static List<RunRequest> parse(String text, boolean fast) {
        String trimmed = text.strip();
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            return parseJson(trimmed, fast);
        }
        List<RunRequest> requests = new ArrayList<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                requests.add(RunRequest.of(words(line)).withFast(fast));
            } catch (AgentKernelException e) {
                throw new AgentKernelException.InvalidRequestException("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (requests.isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("the batch file has no commands");
        }
        return requests;
    }

    private static List<RunRequest> parseJson(String text, boolean fast) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AgentKernelException.InvalidRequestException("the batch file is not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode items = root.isArray() ? root : root.path("commands");
        if (!items.isArray() || items.isEmpty()) {
            throw new AgentKernelException.InvalidRequestException(
                    "'commands' must be a non-empty array of {\"command\": [...]} objects");
        }
        List<RunRequest> requests = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String where = "commands[" + i + "]";
            JsonNode argv = item.isArray() ? item : item.path("command");
            RunRequest r = RunRequest.of(strings(argv, where + ".command")).withFast(fast);
            if (item.isObject()) {
                if (item.hasNonNull("image")) {
                    r = r.withImage(text(item, "image", where));
                }
                if (item.hasNonNull("profile")) {
                    r = r.withProfile(SecurityProfile.fromWire(text(item, "profile", where)));
                }
                if (item.hasNonNull("timeout_ms")) {
                    r = r.withTimeout(Duration.ofMillis(number(item, "timeout_ms", where)));
                }
                if (item.hasNonNull("vcpus") || item.hasNonNull("memory_mb")) {
                    r = r.withLimits(item.hasNonNull("vcpus") ? (int) number(item, "vcpus", where) : null,
                            item.hasNonNull("memory_mb") ? (int) number(item, "memory_mb", where) : null);
                }
                if (item.hasNonNull("env")) {
                    Map<String, String> env = new LinkedHashMap<>();
                    item.get("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
                    r = r.withEnv(env);
                }
            }
            requests.add(r);
        }
        return requests;
    }

    private static List<String> strings(JsonNode argv, String field) {
        if (!argv.isArray() || argv.isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("Invalid " + field + ": must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : argv) {
            if (!n.isTextual()) {
                throw new AgentKernelException.InvalidRequestException("Invalid " + field + ": must be an array of strings");
            }
            out.add(n.asText());
        }
        return out;
    }

    private static String text(JsonNode item, String field, String where) {
        JsonNode n = item.get(field);
        if (!n.isTextual()) {
            throw new AgentKernelException.InvalidRequestException("Invalid " + where + "." + field + ": must be a string");
        }
        return n.asText();
    }

    private static long number(JsonNode item, String field, String where) {
        JsonNode n = item.get(field);
        if (!n.canConvertToLong()) {
            throw new AgentKernelException.InvalidRequestException("Invalid " + where + "." + field + ": must be an integer");
        }
        return n.asLong();
    }

    /** The inverse of {@link #words}: argv as a line a shell would split back into the same words. */
    public static String shellJoin(List<String> argv) {
        List<String> out = new ArrayList<>();
        for (String a : argv) {
            out.add(!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return String.join(" ", out);
    }

    /** Splits a line into words like a POSIX shell (quotes and backslashes; no expansion). */
    public static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                    word.append(line.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else {
                    word.append(c);
                }
            }
        }
        if (quote != 0) {
            throw new AgentKernelException.InvalidRequestException("unclosed " + quote + " quote in: " + line);
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
