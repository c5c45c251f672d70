package dev.agentkernel.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.client.generated.model.AuditEvent;
import dev.agentkernel.client.generated.model.AuditEventListResponse;
import dev.agentkernel.client.generated.model.BatchRequest;
import dev.agentkernel.client.generated.model.BatchResponse;
import dev.agentkernel.client.generated.model.ExecResponse;
import dev.agentkernel.client.generated.model.FileData;
import dev.agentkernel.client.generated.model.FileEncoding;
import dev.agentkernel.client.generated.model.FileResponse;
import dev.agentkernel.client.generated.model.MessageResponse;
import dev.agentkernel.client.generated.model.PoolResponse;
import dev.agentkernel.client.generated.model.RunResponse;
import dev.agentkernel.client.generated.model.Sandbox;
import dev.agentkernel.client.generated.model.SandboxListResponse;
import dev.agentkernel.client.generated.model.SandboxResponse;
import dev.agentkernel.client.generated.model.WriteFileRequest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
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
    private final HttpTransport transport;

    private AgentKernelClient(Builder b) {
        this.baseUri = b.baseUri;
        this.timeout = b.timeout;
        ObjectMapper mapper = Wire.newMapper();
        HttpClient.Builder http = HttpClient.newBuilder()
                // HTTP/1.1: no h2c upgrade dance, and one connection per stream so closing it cancels the command.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout);
        if (b.executor != null) {
            http.executor(b.executor);
        }
        String apiKey = b.apiKey;
        boolean bearer = b.bearer;
        this.transport = new HttpTransport(baseUri, http.build(), mapper, timeout, request -> {
            // The server accepts either header but refuses a request that carries both.
            if (apiKey != null) {
                if (bearer) {
                    request.header("Authorization", "Bearer " + apiKey);
                } else {
                    request.header("X-API-Key", apiKey);
                }
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
        try {
            return Wire.health(transport.call("GET", "health", null, dev.agentkernel.client.generated.model.Health.class, timeout));
        } catch (UnavailableException e) {
            return new Health("unavailable", null, null, e.getMessage());
        }
    }

    /** {@code GET /pool}: the warm pool's figures. */
    public PoolStats pool() {
        return Wire.pool(transport.call("GET", "pool", null, PoolResponse.class, timeout).getData());
    }

    // ---- temporary sandboxes

    /** Runs a command in a temporary sandbox: {@code client.run("python3", "-c", "print(1+1)")}. */
    public ExecResult run(String... command) {
        return run(RunRequest.of(command));
    }

    public ExecResult run(RunRequest request) {
        return Wire.runResult(transport.call("POST", "run", Wire.runBody(request), RunResponse.class,
                timeoutFor(request.timeout())).getData());
    }

    /** Runs a command in a temporary sandbox and streams its events; close the stream to cancel the command. */
    public EventStream runStream(RunRequest request) {
        return transport.stream("run/stream", Wire.runBody(request));
    }

    /** Streams to {@code listener} on this thread until the end; returns the terminal event (Done or Error). */
    public StreamEvent runStream(RunRequest request, StreamListener listener) {
        return terminal(runStream(request), listener);
    }

    /** Runs every command in its own temporary sandbox, in parallel; results in input order. */
    public List<BatchResult> batch(List<RunRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        BatchRequest body = new BatchRequest();
        Duration longest = null;
        for (RunRequest r : requests) {
            body.addCommandsItem(Wire.runBody(r));
            if (r.timeout() != null && (longest == null || r.timeout().compareTo(longest) > 0)) {
                longest = r.timeout();
            }
        }
        BatchResponse response = transport.call("POST", "batch/run", body, BatchResponse.class, timeoutFor(longest));
        if (response.getData() == null || response.getData().getResults() == null) {
            throw Errors.protocol("batch answer without results", null);
        }
        return response.getData().getResults().stream().map(Wire::batchItem).toList();
    }

    // ---- named sandboxes

    public List<SandboxInfo> list() {
        List<Sandbox> data = transport.call("GET", "sandboxes", null, SandboxListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("sandbox list answer without data", null);
        }
        return data.stream().map(Wire::sandbox).toList();
    }

    /** Creates and starts a named sandbox. A taken name is a {@link ConflictException}. */
    public SandboxInfo create(String name, SandboxSpec spec) {
        return Wire.sandbox(transport.call("POST", "sandboxes", Wire.createBody(name, spec), SandboxResponse.class,
                timeout).getData());
    }

    public SandboxInfo create(String name) {
        return create(name, SandboxSpec.defaults());
    }

    public SandboxInfo get(String name) {
        return Wire.sandbox(transport.call("GET", sandboxPath(name), null, SandboxResponse.class, timeout).getData());
    }

    public ExecResult exec(String name, String... command) {
        return exec(name, ExecRequest.of(command));
    }

    public ExecResult exec(String name, ExecRequest request) {
        return Wire.execResult(transport.call("POST", sandboxPath(name) + "/exec", Wire.execBody(request),
                ExecResponse.class, timeoutFor(request.timeout())).getData());
    }

    /** Streams a command's events in a named sandbox; close the stream to cancel (the server kills the command). */
    public EventStream execStream(String name, ExecRequest request) {
        return transport.stream(sandboxPath(name) + "/exec/stream", Wire.execBody(request));
    }

    /** Streams to {@code listener} on this thread until the end; returns the terminal event (Done or Error). */
    public StreamEvent execStream(String name, ExecRequest request, StreamListener listener) {
        return terminal(execStream(name, request), listener);
    }

    /** Stops the sandbox; it keeps its filesystem and can be started again. */
    public SandboxInfo stop(String name) {
        return Wire.sandbox(transport.call("POST", sandboxPath(name) + "/stop", null, SandboxResponse.class, timeout)
                .getData());
    }

    /** Starts a stopped sandbox again. */
    public SandboxInfo start(String name) {
        return Wire.sandbox(transport.call("POST", sandboxPath(name) + "/start", null, SandboxResponse.class, timeout)
                .getData());
    }

    /** Removes the sandbox and its container; a missing sandbox is a {@link NotFoundException}. */
    public void remove(String name) {
        transport.call("DELETE", sandboxPath(name), null, MessageResponse.class, timeout);
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
        FileData d = transport.call("GET", filesPath(name, path), null, FileResponse.class, timeout).getData();
        if (d == null || d.getContent() == null) {
            throw Errors.protocol("file answer without content", null);
        }
        if (d.getEncoding() == FileEncoding.BASE64) {
            try {
                return Base64.getDecoder().decode(d.getContent());
            } catch (IllegalArgumentException e) {
                throw Errors.protocol("file content is not valid base64", e);
            }
        }
        return d.getContent().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes a UTF-8 text file, creating parent folders; returns the server's message. */
    public String writeFile(String name, String path, String content) {
        WriteFileRequest body = new WriteFileRequest().content(content).encoding(FileEncoding.UTF8);
        return transport.call("PUT", filesPath(name, path), body, MessageResponse.class, timeout).getData();
    }

    /** Writes bytes (sent base64-encoded), creating parent folders; returns the server's message. */
    public String writeFile(String name, String path, byte[] content) {
        WriteFileRequest body = new WriteFileRequest()
                .content(Base64.getEncoder().encodeToString(content)).encoding(FileEncoding.BASE64);
        return transport.call("PUT", filesPath(name, path), body, MessageResponse.class, timeout).getData();
    }

    /** Deletes a file; returns the server's message. */
    public String deleteFile(String name, String path) {
        return transport.call("DELETE", filesPath(name, path), null, MessageResponse.class, timeout).getData();
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
        List<AuditEvent> data = transport.call("GET", path, null, AuditEventListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("log answer without data", null);
        }
        return data.stream().map(Wire::audit).toList();
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
        private boolean bearer;
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

        /** Sent as {@code X-API-Key} (or as a bearer token, see {@link #useBearer}); null sends none. */
        public Builder apiKey(String key) {
            this.apiKey = key;
            return this;
        }

        /** Send the key as {@code Authorization: Bearer <key>} instead of {@code X-API-Key} (e.g. through a proxy). */
        public Builder useBearer(boolean value) {
            this.bearer = value;
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
