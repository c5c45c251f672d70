package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Client of a remote agentkernel server ({@code agentkernel serve}). Thread-safe; make one and share it.
 *
 * <pre>{@code
 * AgentKernelClient client = AgentKernelClient.create();       // AGENTKERNEL_BASE_URL, AGENTKERNEL_API_KEY
 * ExecResult r = client.run("python3", "-c", "print(1+1)");
 * }</pre>
 *
 * Every method throws an unchecked {@link AgentKernelClientException} (or one of its subclasses) when the server
 * refuses the call or cannot be reached. A command that exits non-zero is a normal {@link ExecResult}.
 */
public final class AgentKernelClient {
    /** Used when neither the builder nor {@code AGENTKERNEL_BASE_URL} gives a base URL. */
    public static final String DEFAULT_BASE_URL = "http://localhost:18888";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Added to a command's own timeout so the server can answer before the client gives up. */
    private static final Duration SERVER_MARGIN = Duration.ofSeconds(30);

    private final URI baseUri;
    private final Duration timeout;
    private final ObjectMapper mapper;
    private final HttpTransport transport;

    private AgentKernelClient(Builder b) {
        this.baseUri = b.baseUri;
        this.timeout = b.timeout;
        this.mapper = Wire.newMapper();
        HttpClient.Builder http = HttpClient.newBuilder()
                // HTTP/1.1: no h2c upgrade dance, and one connection per stream so closing it cancels the command.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout);
        if (b.executor != null) {
            http.executor(b.executor);
        }
        String apiKey = b.apiKey;
        this.transport = new HttpTransport(baseUri, http.build(), mapper, timeout, request -> {
            if (apiKey != null) {
                // The seed API reads X-API-Key; the upstream SDKs send Bearer; the server accepts both.
                request.header("X-API-Key", apiKey).header("Authorization", "Bearer " + apiKey);
            }
        });
    }

    /** A client configured from the environment ({@code AGENTKERNEL_BASE_URL}, {@code AGENTKERNEL_API_KEY}). */
    public static AgentKernelClient create() {
        return builder().build();
    }

    /** A builder whose defaults come from the environment. */
    public static Builder builder() {
        return new Builder(System::getenv);
    }

    public URI baseUri() {
        return baseUri;
    }

    // ---- server

    /** {@code GET /health}. A server whose engine is down answers {@code unavailable} (not an exception). */
    public Health health() {
        JsonNode node;
        try {
            node = transport.call("GET", "health", null, timeout);
        } catch (UnavailableException e) {
            return new Health("unavailable", Map.of("message", e.getMessage()));
        }
        Map<String, Object> fields = Wire.map(mapper, node);
        Object status = fields.remove("status");
        return new Health(status == null ? null : status.toString(), fields);
    }

    /** {@code GET /pool}: the warm pool's figures as the server reports them (size, hits, misses, ...). */
    public Map<String, Object> pool() {
        return Wire.map(mapper, transport.call("GET", "pool", null, timeout));
    }

    // ---- temporary sandboxes

    /** Runs a command in a temporary sandbox: {@code client.run("python3", "-c", "print(1+1)")}. */
    public ExecResult run(String... command) {
        return run(RunRequest.of(command));
    }

    public ExecResult run(RunRequest request) {
        return Wire.execResult(transport.call("POST", "run", Wire.runBody(mapper, request), timeoutFor(request.timeout())));
    }

    /** Runs a command in a temporary sandbox and streams its events; close the stream to cancel the command. */
    public EventStream runStream(RunRequest request) {
        return transport.stream("run/stream", Wire.runBody(mapper, request));
    }

    /** Streams to {@code listener} on this thread until the end; returns the terminal event (Done or Error). */
    public StreamEvent runStream(RunRequest request, StreamListener listener) {
        return terminal(runStream(request), listener);
    }

    /** Runs every command in its own temporary sandbox, in parallel; results in input order. */
    public List<BatchResult> batch(List<RunRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        ObjectNode body = mapper.createObjectNode();
        Duration longest = null;
        for (RunRequest r : requests) {
            body.withArray("commands").add(Wire.runBody(mapper, r));
            if (r.timeout() != null && (longest == null || r.timeout().compareTo(longest) > 0)) {
                longest = r.timeout();
            }
        }
        return Wire.batchResults(transport.call("POST", "batch/run", body, timeoutFor(longest)));
    }

    // ---- named sandboxes

    public List<SandboxInfo> list() {
        return Wire.sandboxList(transport.call("GET", "sandboxes", null, timeout));
    }

    /** Creates and starts a named sandbox. A taken name is a {@link ConflictException}. */
    public SandboxInfo create(String name, SandboxSpec spec) {
        return Wire.sandboxInfo(transport.call("POST", "sandboxes", Wire.createBody(mapper, name, spec), timeout));
    }

    public SandboxInfo create(String name) {
        return create(name, SandboxSpec.defaults());
    }

    public SandboxInfo get(String name) {
        return Wire.sandboxInfo(transport.call("GET", sandboxPath(name), null, timeout));
    }

    public ExecResult exec(String name, String... command) {
        return exec(name, ExecRequest.of(command));
    }

    public ExecResult exec(String name, ExecRequest request) {
        return Wire.execResult(transport.call("POST", sandboxPath(name) + "/exec", Wire.execBody(mapper, request),
                timeoutFor(request.timeout())));
    }

    /** Streams a command's events in a named sandbox; close the stream to cancel (the server kills the command). */
    public EventStream execStream(String name, ExecRequest request) {
        return transport.stream(sandboxPath(name) + "/exec/stream", Wire.execBody(mapper, request));
    }

    /** Streams to {@code listener} on this thread until the end; returns the terminal event (Done or Error). */
    public StreamEvent execStream(String name, ExecRequest request, StreamListener listener) {
        return terminal(execStream(name, request), listener);
    }

    /** Stops the sandbox; it keeps its filesystem and can be started again. */
    public void stop(String name) {
        transport.call("POST", sandboxPath(name) + "/stop", null, timeout);
    }

    public void start(String name) {
        transport.call("POST", sandboxPath(name) + "/start", null, timeout);
    }

    /** Removes the sandbox and its container; a missing sandbox is a {@link NotFoundException}. */
    public void remove(String name) {
        transport.call("DELETE", sandboxPath(name), null, timeout);
    }

    /**
     * Creates a sandbox and returns a session that removes it on {@link SandboxSession#close()}: use it in a
     * try-with-resources block so the sandbox goes away even when the block throws.
     */
    public SandboxSession sandbox(String name, SandboxSpec spec) {
        create(name, spec);
        return new SandboxSession(this, name);
    }

    public SandboxSession sandbox(String name) {
        return sandbox(name, SandboxSpec.defaults());
    }

    // ---- files

    /** Reads a file as UTF-8 text (bytes that are not UTF-8 become U+FFFD; use {@link #readFileBytes} for binary). */
    public String readFile(String name, String path) {
        return new String(readFileBytes(name, path), StandardCharsets.UTF_8);
    }

    public byte[] readFileBytes(String name, String path) {
        JsonNode d = transport.call("GET", filesPath(name, path), null, timeout);
        String content = Wire.text(d, "content");
        if (content == null) {
            throw Errors.protocol("file answer without content: " + d, null);
        }
        return "base64".equals(Wire.text(d, "encoding")) ? Base64.getDecoder().decode(content)
                : content.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes a UTF-8 text file, creating parent folders; returns the server's message. */
    public String writeFile(String name, String path, String content) {
        ObjectNode body = mapper.createObjectNode().put("content", content).put("encoding", "utf8");
        return transport.call("PUT", filesPath(name, path), body, timeout).asText();
    }

    /** Writes bytes (sent base64-encoded), creating parent folders; returns the server's message. */
    public String writeFile(String name, String path, byte[] content) {
        ObjectNode body = mapper.createObjectNode()
                .put("content", Base64.getEncoder().encodeToString(content)).put("encoding", "base64");
        return transport.call("PUT", filesPath(name, path), body, timeout).asText();
    }

    /** Deletes a file; returns the server's message. */
    public String deleteFile(String name, String path) {
        return transport.call("DELETE", filesPath(name, path), null, timeout).asText();
    }

    // ---- audit

    /** The audit log of a sandbox, oldest first; still readable after the sandbox was removed. */
    public List<AuditEntry> logs(String name) {
        return logs(name, null, 0);
    }

    /** Entries at or after {@code since} (null: all), at most the {@code limit} most recent (0: all). */
    public List<AuditEntry> logs(String name, Instant since, int limit) {
        StringBuilder query = new StringBuilder();
        if (since != null) {
            query.append("since=").append(HttpTransport.segment(since.toString()));
        }
        if (limit > 0) {
            query.append(query.length() > 0 ? "&" : "").append("limit=").append(limit);
        }
        String path = sandboxPath(name) + "/logs" + (query.length() > 0 ? "?" + query : "");
        return Wire.auditEntries(mapper, transport.call("GET", path, null, timeout));
    }

    // ---- helpers

    private Duration timeoutFor(Duration commandTimeout) {
        if (commandTimeout == null) {
            return timeout;
        }
        Duration needed = commandTimeout.plus(SERVER_MARGIN);
        return needed.compareTo(timeout) > 0 ? needed : timeout;
    }

    private static StreamEvent terminal(EventStream stream, StreamListener listener) {
        return stream.forEachEvent(listener).orElseThrow(() -> Errors.protocol("the stream was closed before its end", null));
    }

    private static String sandboxPath(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("sandbox name must not be blank");
        }
        return "sandboxes/" + HttpTransport.segment(name);
    }

    private static String filesPath(String name, String path) {
        return sandboxPath(name) + "/files/" + HttpTransport.filePath(path);
    }

    /** Configures an {@link AgentKernelClient}; defaults come from the environment. */
    public static final class Builder {
        private URI baseUri;
        private String apiKey;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Executor executor;

        Builder(Function<String, String> env) {
            String url = env.apply("AGENTKERNEL_BASE_URL");
            baseUrl(url == null || url.isBlank() ? DEFAULT_BASE_URL : url);
            String key = env.apply("AGENTKERNEL_API_KEY");
            apiKey = key == null || key.isBlank() ? null : key;
        }

        /** E.g. {@code http://localhost:18888}; a path prefix (behind a proxy) is kept. */
        public Builder baseUrl(String url) {
            Objects.requireNonNull(url, "url");
            URI uri = URI.create(url.endsWith("/") ? url : url + "/");
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("base URL must be http(s)://host[:port][/path]: " + url);
            }
            this.baseUri = uri;
            return this;
        }

        /** Sent as {@code X-API-Key} and {@code Authorization: Bearer}; null sends none. */
        public Builder apiKey(String key) {
            this.apiKey = key;
            return this;
        }

        /** How long to wait for an answer (default 30 s); commands with a longer own timeout get that plus 30 s. */
        public Builder timeout(Duration value) {
            this.timeout = positive(value, "timeout");
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = positive(value, "connectTimeout");
            return this;
        }

        /** The executor of the underlying {@link HttpClient} (default: its own cached pool). */
        public Builder executor(Executor value) {
            this.executor = value;
            return this;
        }

        public AgentKernelClient build() {
            return new AgentKernelClient(this);
        }

        URI baseUri() {
            return baseUri;
        }

        String apiKey() {
            return apiKey;
        }

        private static Duration positive(Duration value, String field) {
            if (value == null || value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException(field + " must be positive");
            }
            return value;
        }
    }
}
