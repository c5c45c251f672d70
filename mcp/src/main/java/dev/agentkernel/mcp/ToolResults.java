package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shapes tool results: structured content (the machine view, snake_case like the HTTP API) plus one text
 * block an agent can read directly. A non-zero exit is a normal result; only failures set {@code isError}.
 */
final class ToolResults {
    private ToolResults() {
    }

    static CallToolResult of(String text, Map<String, Object> structured) {
        return CallToolResult.builder()
                .content(List.of(new TextContent(text)))
                .structuredContent(structured)
                .isError(false)
                .build();
    }

    static CallToolResult error(AgentKernelException e) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("error", e.getMessage());
        s.put("code", e.code().code());
        return CallToolResult.builder()
                .content(List.of(new TextContent("Error (" + e.code().code() + "): " + e.getMessage())))
                .structuredContent(s)
                .isError(true)
                .build();
    }

    static CallToolResult run(RunResult r) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sandbox", r.sandbox());
        if (r.image() != null) {
            s.put("image", r.image());
        }
        if (r.imageNote() != null) {
            s.put("image_note", r.imageNote());
        }
        s.put("pooled", r.pooled());
        s.putAll(exec(r.exec()));
        String header = r.image() == null ? "" : "image: " + r.image()
                + (r.imageNote() == null ? "" : " (" + r.imageNote() + ")") + "\n";
        return of(header + execText(r.exec()), s);
    }

    static CallToolResult exec(String sandbox, ExecResult r) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sandbox", sandbox);
        s.putAll(exec(r));
        return of(execText(r), s);
    }

    private static Map<String, Object> exec(ExecResult r) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("exit_code", r.exitCode());
        s.put("stdout", r.stdout());
        s.put("stderr", r.stderr());
        s.put("duration_ms", r.duration().toMillis());
        s.put("timed_out", r.timedOut());
        s.put("truncated", r.truncated());
        return s;
    }

    /** Exit status first (what an agent decides on), then the two streams, each only when non-empty. */
    static String execText(ExecResult r) {
        StringBuilder b = new StringBuilder();
        b.append("exit_code: ").append(r.exitCode());
        if (r.timedOut()) {
            b.append(" (timed out after ").append(r.duration().toMillis()).append(" ms; the command was killed)");
        }
        if (r.truncated()) {
            b.append(" [output truncated at the output limit]");
        }
        b.append('\n');
        if (!r.stdout().isEmpty()) {
            b.append("--- stdout ---\n").append(r.stdout());
            if (!r.stdout().endsWith("\n")) {
                b.append('\n');
            }
        }
        if (!r.stderr().isEmpty()) {
            b.append("--- stderr ---\n").append(r.stderr());
            if (!r.stderr().endsWith("\n")) {
                b.append('\n');
            }
        }
        if (r.stdout().isEmpty() && r.stderr().isEmpty()) {
            b.append("(no output)\n");
        }
        return b.toString();
    }

    static CallToolResult sandbox(String verb, SandboxInfo info) {
        return of("Sandbox '" + info.name() + "' " + verb + " (status: " + info.status().wireName() + ")",
                sandboxMap(info));
    }

    static CallToolResult list(List<SandboxInfo> sandboxes) {
        StringBuilder b = new StringBuilder();
        if (sandboxes.isEmpty()) {
            b.append("No sandboxes.");
        } else {
            b.append(sandboxes.size()).append(sandboxes.size() == 1 ? " sandbox:" : " sandboxes:");
            for (SandboxInfo i : sandboxes) {
                b.append("\n- ").append(i.name()).append(": ").append(i.status().wireName());
                if (i.image() != null) {
                    b.append(", image ").append(i.image());
                }
                if (i.profile() != null) {
                    b.append(", profile ").append(i.profile().wireName());
                }
            }
        }
        return of(b.toString(), Map.of("sandboxes", sandboxes.stream().map(ToolResults::sandboxMap).toList()));
    }

    static Map<String, Object> sandboxMap(SandboxInfo i) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", i.name());
        s.put("status", i.status().wireName());
        s.put("backend", i.backend());
        putIfPresent(s, "image", i.image());
        putIfPresent(s, "vcpus", i.vcpus());
        putIfPresent(s, "memory_mb", i.memoryMb());
        putIfPresent(s, "created_at", i.createdAt() == null ? null : i.createdAt().toString());
        putIfPresent(s, "profile", i.profile() == null ? null : i.profile().wireName());
        s.put("kind", i.kind().wireName());
        return s;
    }

    static CallToolResult removed(String name) {
        return of("Removed sandbox '" + name + "'", Map.of("removed", name));
    }

    /** An exposed port, with its browser URL when a server signed one ({@code url} null: embedded, none). */
    static CallToolResult exposed(String sandbox, ExposedPort exposed, PortUrl url) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sandbox", sandbox);
        s.put("port", exposed.port());
        s.put("exposed_at", exposed.exposedAt().toString());
        String text = "Exposed port " + exposed.port() + " of sandbox '" + sandbox + "'";
        if (url == null) {
            text += ". No browser URL: agentkernel runs embedded, without a server to sign one; the user can run "
                    + "`agentkernel port " + sandbox + " " + exposed.port() + "` to forward it to a local port.";
        } else {
            s.put("url", url.url().toString());
            s.put("expires_at", url.expiresAt().toString());
            text += ". Open " + url.url() + " in a browser (valid until " + url.expiresAt() + ").";
        }
        return of(text, s);
    }

    static CallToolResult written(FileContent written) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("path", written.path());
        s.put("size", written.size());
        return of("Wrote " + written.size() + " bytes to " + written.path(), s);
    }

    /**
     * A file's content: UTF-8 text as is, anything else as base64 (said so in the text). Bytes beyond
     * {@code maxBytes} are left out and {@code truncated} is set.
     */
    static CallToolResult file(FileContent file, long maxBytes) {
        byte[] all = file.content();
        boolean truncated = all.length > maxBytes;
        String content;
        String encoding;
        var text = file.utf8();
        if (text.isPresent()) {
            content = OutputCap.cut(text.get(), maxBytes);
            truncated = content.length() != text.get().length();
            encoding = "utf8";
        } else {
            byte[] kept = truncated ? java.util.Arrays.copyOf(all, (int) maxBytes) : all;
            content = Base64.getEncoder().encodeToString(kept);
            encoding = "base64";
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("path", file.path());
        s.put("size", file.size());
        s.put("encoding", encoding);
        s.put("content", content);
        s.put("truncated", truncated);
        String note = (encoding.equals("base64") ? " (not UTF-8; content is base64)" : "")
                + (truncated ? " [truncated to " + maxBytes + " bytes]" : "");
        String header = file.path() + " (" + file.size() + " bytes)" + note + "\n";
        return of(header + content, s);
    }

    private static void putIfPresent(Map<String, Object> s, String key, Object value) {
        if (value != null) {
            s.put(key, value);
        }
    }
}
