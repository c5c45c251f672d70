package dev.agentkernel.mcp;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AgentKernelException.InvalidRequestException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.api.Validation;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static dev.agentkernel.mcp.JsonSchemas.bool;
import static dev.agentkernel.mcp.JsonSchemas.enumeration;
import static dev.agentkernel.mcp.JsonSchemas.integer;
import static dev.agentkernel.mcp.JsonSchemas.object;
import static dev.agentkernel.mcp.JsonSchemas.pattern;
import static dev.agentkernel.mcp.JsonSchemas.string;
import static dev.agentkernel.mcp.JsonSchemas.stringArray;
import static dev.agentkernel.mcp.JsonSchemas.stringMap;

/**
 * The nine sandbox tools, under the upstream names so existing agent configurations keep working, and ours,
 * {@code sandbox_expose_port}. Each has an exact input schema and a handler; {@link #call} never throws: every
 * failure becomes an {@code isError} result with a message the agent can act on.
 */
public final class SandboxTools {
    /** Upper bound of {@code timeout_ms}: one day. */
    static final long MAX_TIMEOUT_MS = 86_400_000L;
    /** The longest browser URL the tool asks for: the server's default cap ({@code ports.url_max_ttl}). */
    static final long MAX_URL_TTL_SECONDS = 86_400;
    /** Mirrors {@link Validation#sandboxName}; core still checks every name. */
    static final String NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$";
    static final String ENV_KEY_PATTERN = "^[A-Za-z_][A-Za-z0-9_]{0,255}$";
    static final List<String> PROFILES = Arrays.stream(SecurityProfile.values()).map(SecurityProfile::wireName).toList();
    static final List<String> ENCODINGS = List.of("utf8", "base64");

    private static final Logger LOG = LoggerFactory.getLogger(SandboxTools.class);

    private final Sandboxes ops;
    private final long maxOutputBytes;
    private final Map<String, Definition> tools = new LinkedHashMap<>();

    /**
     * @param maxOutputBytes the most output (per stream) or file content one tool result may carry
     */
    public SandboxTools(Sandboxes ops, long maxOutputBytes) {
        this.ops = Objects.requireNonNull(ops, "ops");
        if (maxOutputBytes <= 0) {
            throw new IllegalArgumentException("maxOutputBytes must be positive");
        }
        this.maxOutputBytes = maxOutputBytes;
        defineRun();
        defineCreate();
        defineExec();
        defineList();
        defineRemove();
        defineFileWrite();
        defineFileRead();
        defineStart();
        defineStop();
        defineExposePort();
    }

    /** The tool declarations, in a stable order. */
    public List<McpSchema.Tool> tools() {
        return tools.values().stream().map(Definition::tool).toList();
    }

    /** Calls a tool that cannot be cancelled. Never throws: failures are {@code isError} results. */
    public CallToolResult call(String name, Map<String, Object> arguments, ProgressSink progress) {
        return call(name, arguments, progress, Cancellation.create());
    }

    /**
     * Calls a tool. Never throws: failures are {@code isError} results. Cancelling (the client's
     * {@code notifications/cancelled}) kills a running command with its process tree.
     */
    public CallToolResult call(String name, Map<String, Object> arguments, ProgressSink progress,
                               Cancellation cancellation) {
        Definition d = tools.get(name);
        if (d == null) {
            return ToolResults.error(new InvalidRequestException("Unknown tool '" + name + "'; available: "
                    + String.join(", ", tools.keySet())));
        }
        try {
            ToolArguments args = new ToolArguments(name, arguments).allowOnly(d.arguments());
            return d.handler().handle(args, progress == null ? ProgressSink.NONE : progress,
                    cancellation == null ? Cancellation.create() : cancellation);
        } catch (AgentKernelException e) {
            LOG.debug("{} failed: {}", name, e.getMessage());
            return ToolResults.error(e);
        } catch (RuntimeException | LinkageError e) {
            // A bug, an unexpected engine failure or a broken class path: keep serving, tell the agent (a request
            // left without an answer would hang it), keep the details in the log.
            LOG.warn("{} failed unexpectedly", name, e);
            return ToolResults.error(new AgentKernelException(ErrorCode.INTERNAL,
                    "Internal error in " + name + " (" + e.getClass().getSimpleName() + "): " + e.getMessage()));
        }
    }

    // ---- the tools ----

    private void defineRun() {
        JsonSchemas.ObjectSchema schema = object()
                .required("command", commandSchema())
                .optional("image", imageSchema("Container image to run in, e.g. agentkernel/python:local. "
                        + "Omit to pick one from the command (python/pip: a Python image; otherwise a small base image)."))
                .optional("profile", profileSchema())
                .optional("fast", bool("Take a pre-started sandbox from the warm pool when one matches (faster); "
                        + "it is still fresh and used only for this command.", true))
                .optional("vcpus", vcpusSchema())
                .optional("memory_mb", memorySchema());
        addExecOptions(schema);
        define("sandbox_run", "Run a command in a new sandbox",
                "Run one command in a fresh, isolated sandbox (a container) that is removed afterwards; nothing "
                        + "persists between calls. 'command' is an argv array, not a shell string: for pipes, "
                        + "redirection or '&&' pass [\"sh\", \"-c\", \"...\"]. Returns exit_code, stdout, stderr, "
                        + "timed_out and truncated; a non-zero exit_code is a normal result, not a failure. For "
                        + "several commands that share files or installed packages, use sandbox_create and "
                        + "sandbox_exec instead.",
                schema, annotations(false, false, false),
                (a, progress, cancellation) -> {
                    RunRequest request = new RunRequest(a.requiredStringList("command"), a.optionalString("image"),
                            profile(a), !Boolean.FALSE.equals(a.optionalBoolean("fast")),
                            a.optionalInt("vcpus", Validation.MIN_VCPUS, Validation.MAX_VCPUS),
                            a.optionalInt("memory_mb", Validation.MIN_MEMORY_MB, Validation.MAX_MEMORY_MB),
                            a.stringMap("env"), a.aliasedString("workdir", "cwd"), timeout(a), stdin(a));
                    var result = ops.runStreaming(request, new ProgressListener(progress), cancellation);
                    var capped = OutputCap.limit(result.exec(), outputLimit(a));
                    return ToolResults.run(new dev.agentkernel.api.RunResult(result.sandbox(), result.image(),
                            result.imageNote(), result.pooled(), capped));
                });
    }

    private void defineCreate() {
        JsonSchemas.ObjectSchema schema = object()
                .required("name", nameSchema())
                .optional("image", imageSchema("Container image, e.g. agentkernel/python:local. Omit for the "
                        + "configured default image."))
                .optional("profile", profileSchema())
                .optional("vcpus", vcpusSchema())
                .optional("memory_mb", memorySchema())
                .optional("env", envSchema("Environment variables every command in this sandbox sees."));
        define("sandbox_create", "Create a persistent sandbox",
                "Create and start a named sandbox that keeps its files, installed packages and environment "
                        + "between sandbox_exec calls until sandbox_remove. Fails with a conflict if the name is "
                        + "taken (sandbox_list shows existing ones). Remove it with sandbox_remove when done.",
                schema, annotations(false, false, false),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    progress.report("creating sandbox " + name);
                    // What the agent leaves out (image, limits, profile) the kernel fills in from its configuration.
                    var info = ops.create(new SandboxSpec(name, a.optionalString("image"),
                            a.optionalInt("vcpus", Validation.MIN_VCPUS, Validation.MAX_VCPUS),
                            a.optionalInt("memory_mb", Validation.MIN_MEMORY_MB, Validation.MAX_MEMORY_MB),
                            profile(a), a.stringMap("env"), Map.of(), SandboxKind.NAMED));
                    return ToolResults.sandbox("created", info);
                });
    }

    private void defineExec() {
        JsonSchemas.ObjectSchema schema = object()
                .required("name", nameSchema())
                .required("command", commandSchema());
        addExecOptions(schema);
        define("sandbox_exec", "Run a command in a sandbox",
                "Run a command in a running named sandbox (made with sandbox_create); files and packages from "
                        + "earlier commands are still there. 'command' is an argv array: for shell syntax pass "
                        + "[\"sh\", \"-c\", \"...\"]. Returns exit_code, stdout, stderr, timed_out and truncated; "
                        + "a non-zero exit_code is a normal result. A stopped sandbox must be started first "
                        + "(sandbox_start).",
                schema, annotations(false, false, false),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    ExecRequest request = new ExecRequest(a.requiredStringList("command"), a.stringMap("env"),
                            a.aliasedString("workdir", "cwd"), timeout(a), stdin(a), outputLimit(a));
                    var result = ops.execStreaming(name, request, new ProgressListener(progress), cancellation);
                    return ToolResults.exec(name, OutputCap.limit(result, outputLimit(a)));
                });
    }

    private void defineList() {
        define("sandbox_list", "List sandboxes",
                "List the sandboxes with their status (running or stopped), image and security profile.",
                object(), annotations(true, false, true),
                (a, progress, cancellation) -> ToolResults.list(ops.list()));
    }

    private void defineRemove() {
        define("sandbox_remove", "Remove a sandbox",
                "Remove a sandbox and everything in it, running or stopped. This cannot be undone.",
                object().required("name", nameSchema()), annotations(false, true, true),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    ops.remove(name);
                    return ToolResults.removed(name);
                });
    }

    private void defineFileWrite() {
        JsonSchemas.ObjectSchema schema = object()
                .required("name", nameSchema())
                .required("path", pathSchema())
                .required("content", string("The file's content: text, or base64 when encoding is base64."))
                .optional("encoding", enumeration("How 'content' is encoded: utf8 (text, the default) or base64 "
                        + "(binary).", ENCODINGS, "utf8"));
        define("sandbox_file_write", "Write a file into a sandbox",
                "Write a file into a running sandbox, creating missing parent directories and replacing an "
                        + "existing file. Text by default; for binary content encode it as base64 and set "
                        + "encoding to base64.",
                schema, annotations(false, true, true),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    String path = Validation.sandboxPath(a.requiredString("path"));
                    String content = a.requiredString("content");
                    byte[] bytes;
                    if ("base64".equals(a.optionalEnum("encoding", ENCODINGS))) {
                        try {
                            bytes = Base64.getDecoder().decode(content);
                        } catch (IllegalArgumentException e) {
                            throw a.invalid("'content' is not valid base64: " + e.getMessage());
                        }
                    } else {
                        bytes = content.getBytes(StandardCharsets.UTF_8);
                    }
                    return ToolResults.written(ops.writeFile(name, path, bytes));
                });
    }

    private void defineFileRead() {
        JsonSchemas.ObjectSchema schema = object()
                .required("name", nameSchema())
                .required("path", pathSchema())
                .optional("max_bytes", integer("Return at most this many bytes of the file (default and maximum: "
                        + maxOutputBytes + ").", 1, maxOutputBytes));
        define("sandbox_file_read", "Read a file from a sandbox",
                "Read a file from a running sandbox. UTF-8 text comes back as is, other content as base64 "
                        + "('encoding' says which); a file longer than max_bytes is cut and 'truncated' is set.",
                schema, annotations(true, false, true),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    String path = Validation.sandboxPath(a.requiredString("path"));
                    Long max = a.optionalLong("max_bytes", 1, maxOutputBytes);
                    return ToolResults.file(ops.readFile(name, path), max == null ? maxOutputBytes : max);
                });
    }

    private void defineStart() {
        define("sandbox_start", "Start a stopped sandbox",
                "Start a stopped sandbox; its files are as they were when it stopped. Starting a running "
                        + "sandbox does nothing.",
                object().required("name", nameSchema()), annotations(false, false, true),
                (a, progress, cancellation) -> ToolResults.sandbox("started",
                        ops.start(Validation.sandboxName(a.requiredString("name")))));
    }

    private void defineStop() {
        define("sandbox_stop", "Stop a sandbox",
                "Stop a running sandbox, keeping its files (sandbox_start starts it again). Processes running in "
                        + "it are terminated. Stopping a stopped sandbox does nothing.",
                object().required("name", nameSchema()), annotations(false, false, true),
                (a, progress, cancellation) -> ToolResults.sandbox("stopped",
                        ops.stop(Validation.sandboxName(a.requiredString("name")))));
    }

    private void defineExposePort() {
        JsonSchemas.ObjectSchema schema = object()
                .required("name", nameSchema())
                .required("port", integer("The TCP port a program in the sandbox listens on (at 127.0.0.1 inside "
                        + "it), e.g. 8000 for python3 -m http.server.", 1, 65535))
                .optional("url_ttl_seconds", integer("How long the browser URL stays valid (default 3600).", 1,
                        MAX_URL_TTL_SECONDS));
        define("sandbox_expose_port", "Expose a sandbox port",
                "Open a TCP port of a running sandbox for forwarding (idempotent; audited) and, when agentkernel "
                        + "runs as a server, return a signed URL that opens it in a browser without the API key, "
                        + "valid for url_ttl_seconds. Start the program first (e.g. sandbox_exec of "
                        + "\"python3 -m http.server 8000\" in the background). Without a server there is no URL: "
                        + "the user runs `agentkernel port NAME PORT` to forward it to their machine.",
                schema, annotations(false, false, true),
                (a, progress, cancellation) -> {
                    String name = Validation.sandboxName(a.requiredString("name"));
                    int port = a.requiredInt("port", 1, 65535);
                    Long ttl = a.optionalLong("url_ttl_seconds", 1, MAX_URL_TTL_SECONDS);
                    ExposedPort exposed = ops.exposePort(name, port);
                    try {
                        return ToolResults.exposed(name, exposed,
                                ops.portUrl(name, port, ttl == null ? null : Duration.ofSeconds(ttl)));
                    } catch (AgentKernelException.UnsupportedException noServer) {
                        return ToolResults.exposed(name, exposed, null);
                    }
                });
    }

    // ---- shared argument schemas and readers ----

    private void addExecOptions(JsonSchemas.ObjectSchema schema) {
        String workdir = "Absolute working directory inside the sandbox, e.g. /workspace. Default: the image's.";
        schema.optional("env", envSchema("Extra environment variables for this command."))
                .optional("workdir", string(workdir, 1, Validation.MAX_PATH_LENGTH))
                .optional("cwd", string("Same as workdir (the upstream name).", 1, Validation.MAX_PATH_LENGTH))
                .optional("timeout_ms", integer("Kill the command and all its processes after this many "
                        + "milliseconds; the result then has timed_out=true. Default: the configured limit.",
                        1, MAX_TIMEOUT_MS))
                .optional("stdin", string("Text written to the command's standard input, followed by end of file."))
                .optional("max_output_bytes", integer("Keep at most this many bytes of stdout and of stderr "
                        + "(default and maximum: " + maxOutputBytes + "); more sets truncated=true.",
                        1, maxOutputBytes));
    }

    private static Map<String, Object> commandSchema() {
        return stringArray("The program and its arguments (argv), e.g. [\"python3\", \"-c\", \"print(1+1)\"]. "
                + "Not run through a shell unless you call one: [\"sh\", \"-c\", \"ls | wc -l\"].", 1, Validation.MAX_ARGS);
    }

    private static Map<String, Object> nameSchema() {
        return pattern("Sandbox name: 1-63 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit.",
                NAME_PATTERN, 63);
    }

    private static Map<String, Object> imageSchema(String description) {
        return string(description, 1, 255);
    }

    private static Map<String, Object> pathSchema() {
        return string("Absolute file path inside the sandbox, e.g. /workspace/main.py ('..' is not allowed).",
                1, Validation.MAX_PATH_LENGTH);
    }

    private static Map<String, Object> envSchema(String description) {
        return stringMap(description + " Names: letters, digits and '_', not starting with a digit.", ENV_KEY_PATTERN);
    }

    private static Map<String, Object> profileSchema() {
        return enumeration("Security profile. moderate (default): network on, most capabilities dropped. "
                + "restrictive: no network, read-only root with writable /tmp and workdir, non-root user. "
                + "permissive: network on, the container engine's default capabilities but raw sockets.", PROFILES, null);
    }

    private static Map<String, Object> vcpusSchema() {
        return integer("Number of CPUs (default: the configured default, normally 1).",
                Validation.MIN_VCPUS, Validation.MAX_VCPUS);
    }

    private static Map<String, Object> memorySchema() {
        return integer("Memory limit in MiB, swap included (default: the configured default, normally 512).",
                Validation.MIN_MEMORY_MB, Validation.MAX_MEMORY_MB);
    }

    private static SecurityProfile profile(ToolArguments a) {
        String p = a.optionalEnum("profile", PROFILES);
        return p == null ? null : SecurityProfile.fromWire(p);
    }

    private static Duration timeout(ToolArguments a) {
        Long ms = a.optionalLong("timeout_ms", 1, MAX_TIMEOUT_MS);
        return ms == null ? null : Duration.ofMillis(ms);
    }

    private static byte[] stdin(ToolArguments a) {
        String s = a.optionalString("stdin");
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private long outputLimit(ToolArguments a) {
        Long max = a.optionalLong("max_output_bytes", 1, maxOutputBytes);
        return max == null ? maxOutputBytes : max;
    }

    private static ToolAnnotations annotations(boolean readOnly, boolean destructive, boolean idempotent) {
        return ToolAnnotations.builder()
                .readOnlyHint(readOnly)
                .destructiveHint(destructive)
                .idempotentHint(idempotent)
                .build();
    }

    private void define(String name, String title, String description, JsonSchemas.ObjectSchema schema,
                        ToolAnnotations annotations, Handler handler) {
        McpSchema.Tool tool = McpSchema.Tool.builder()
                .name(name)
                .title(title)
                .description(description)
                .inputSchema(schema.build())
                .annotations(annotations)
                .build();
        tools.put(name, new Definition(tool, schema.names(), handler));
    }

    @FunctionalInterface
    private interface Handler {
        CallToolResult handle(ToolArguments arguments, ProgressSink progress, Cancellation cancellation);
    }

    private record Definition(McpSchema.Tool tool, Set<String> arguments, Handler handler) {
    }
}
