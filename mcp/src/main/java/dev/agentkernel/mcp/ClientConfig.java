package dev.agentkernel.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The configuration snippet an agent needs to start our MCP server, in each client's own format. */
public enum ClientConfig {
    /** Claude Code ({@code .mcp.json} in a project) and Claude Desktop ({@code claude_desktop_config.json}). */
    CLAUDE("Paste into .mcp.json at your project root (Claude Code) or into claude_desktop_config.json "
            + "(Claude Desktop), merging with any existing \"mcpServers\"."),
    /** OpenAI Codex CLI: {@code ~/.codex/config.toml}. */
    CODEX("Append to ~/.codex/config.toml."),
    /** Gemini CLI: {@code ~/.gemini/settings.json} or {@code .gemini/settings.json}. */
    GEMINI("Paste into ~/.gemini/settings.json (or .gemini/settings.json in a project), merging with any "
            + "existing \"mcpServers\"."),
    /** Any other client: the bare command, args and env. */
    GENERIC("The command, arguments and environment of the agentkernel MCP server (stdio transport).");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String where;

    ClientConfig(String where) {
        this.where = where;
    }

    /** Where the snippet goes, for the user (printed apart from the snippet so the snippet can be piped). */
    public String where() {
        return where;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> wireNames() {
        return java.util.Arrays.stream(values()).map(ClientConfig::wireName).toList();
    }

    public static ClientConfig fromWire(String value) {
        for (ClientConfig c : values()) {
            if (c.wireName().equals(value)) {
                return c;
            }
        }
        throw new dev.agentkernel.api.AgentKernelException.InvalidRequestException("Invalid client '" + value
                + "': must be one of " + String.join(", ", wireNames()));
    }

    /** The snippet for a server called {@code serverName} started as {@code launch}; ends with a newline. */
    public String render(String serverName, ServerLaunch launch) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("command", launch.command());
        server.put("args", launch.args());
        server.put("env", new LinkedHashMap<>(launch.env()));
        return switch (this) {
            case CLAUDE, GEMINI -> json(Map.of("mcpServers", Map.of(serverName, server)));
            case GENERIC -> json(server);
            case CODEX -> "[mcp_servers." + tomlKey(serverName) + "]\n"
                    + "command = " + tomlString(launch.command()) + "\n"
                    + "args = [" + launch.args().stream().map(ClientConfig::tomlString).collect(Collectors.joining(", "))
                    + "]\n"
                    + (launch.env().isEmpty() ? "" : "env = { " + launch.env().entrySet().stream()
                    .map(e -> tomlString(e.getKey()) + " = " + tomlString(e.getValue()))
                    .collect(Collectors.joining(", ")) + " }\n");
        };
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tomlKey(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : tomlString(key);
    }

    /** A TOML basic string: quotes, backslashes and control characters escaped. */
    static String tomlString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
