package dev.agentkernel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.CreateOptions;
import dev.agentkernel.api.SnapshotInfo;
import dev.agentkernel.api.VolumeInfo;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.ExposedPort;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PortUrl;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.Sandboxes;
import dev.agentkernel.api.Validation;
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
import dev.agentkernel.client.generated.model.CreateVolumeRequest;
import dev.agentkernel.client.generated.model.RestoreSnapshotRequest;
import dev.agentkernel.client.generated.model.SetSecretRequest;
import dev.agentkernel.client.generated.model.Snapshot;
import dev.agentkernel.client.generated.model.SnapshotListResponse;
import dev.agentkernel.client.generated.model.SnapshotResponse;
import dev.agentkernel.client.generated.model.StringListResponse;
import dev.agentkernel.client.generated.model.TakeSnapshotRequest;
import dev.agentkernel.client.generated.model.Volume;
import dev.agentkernel.client.generated.model.VolumeListResponse;
import dev.agentkernel.client.generated.model.VolumeResponse;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Base64;
import dev.agentkernel.api.DetachedCommand;
import dev.agentkernel.client.generated.model.DetachedCommandListResponse;
import dev.agentkernel.client.generated.model.DetachedCommandResponse;
import dev.agentkernel.client.generated.model.DetachedLogs;
import dev.agentkernel.client.generated.model.DetachedLogsResponse;
import dev.agentkernel.client.generated.model.ExtendRequest;
import dev.agentkernel.client.generated.model.ExtendResponse;
import dev.agentkernel.client.generated.model.ExtendResult;
import dev.agentkernel.client.generated.model.WriteFilesRequest;
import dev.agentkernel.client.generated.model.WriteFilesResponse;
import dev.agentkernel.client.generated.model.WriteFilesResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link Sandboxes} over HTTP: every operation of a remote agentkernel server ({@code agentkernel serve}), with the
 * same results and the same {@link AgentKernelException}s (and codes) as the in-process kernel. Thread-safe; make
 * one and share it.
 *
 * <pre>{@code
 * AgentKernelClient client = AgentKernelClient.create();       // AGENTKERNEL_BASE_URL, AGENTKERNEL_API_KEY
 * RunResult r = client.run("python3", "-c", "print(1+1)");
 * }</pre>
 *
 * <p>A server that cannot be reached is {@code BACKEND_UNAVAILABLE}, no answer in time is {@code TIMEOUT}; an error
 * answer is the exception of its {@code code} (or, without one, of its HTTP status). Streaming calls use the
 * server's Server-Sent Events; cancelling one closes the connection, and the server kills the command. For
 * iterating events yourself, {@link #runStream(RunRequest)} and {@link #execStream} return the raw
 * {@link EventStream}.
 */
public final class AgentKernelClient implements Sandboxes {
    /** Used when neither the builder nor {@code AGENTKERNEL_BASE_URL} gives a base URL. */
    public static final String DEFAULT_BASE_URL = "http://localhost:18888";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Added to a command's own timeout so the server can answer before the client gives up. */
    private static final Duration SERVER_MARGIN = Duration.ofSeconds(30);
    /**
     * How long a command without its own timeout may run on a server with the default configuration
     * ({@code limits.timeout_ms}): the client waits that long (plus the margin) rather than giving up on a command
     * the server still runs, as an in-process call would wait for it.
     */
    public static final Duration SERVER_DEFAULT_COMMAND_TIMEOUT = Duration.ofMinutes(5);

    private final URI baseUri;
    private final Duration timeout;
    private final HttpTransport transport;
    private final HttpClient http;
    private final ObjectMapper mapper;
    /** Adds the key's header (name, value) to a request of either kind (HTTP, WebSocket). */
    private final Consumer<BiConsumer<String, String>> auth;

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
        this.auth = header -> {
            // The server accepts either header but refuses a request that carries both.
            if (apiKey != null) {
                if (bearer) {
                    header.accept("Authorization", "Bearer " + apiKey);
                } else {
                    header.accept("X-API-Key", apiKey);
                }
            }
        };
        this.http = http.build();
        this.mapper = mapper;
        this.transport = new HttpTransport(baseUri, this.http, mapper, timeout, request -> auth.accept(request::header));
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

    /** The server's base URL. */
    @Override
    public String toString() {
        return baseUri.toString();
    }

    // ---- server

    /** {@code GET /health}. A server whose engine is down answers 503: that is an answer, not an exception. */
    @Override
    public BackendHealth health() {
        return Wire.health(transport.call("GET", "health", null, dev.agentkernel.client.generated.model.Health.class,
                timeout, 503));
    }

    /** {@code GET /pool}: the warm pool's figures. */
    @Override
    public PoolStats poolStats() {
        return Wire.pool(transport.call("GET", "pool", null, PoolResponse.class, timeout).getData());
    }

    // ---- temporary sandboxes

    /** {@code POST /run}. */
    @Override
    public RunResult run(RunRequest request) {
        return Wire.runResult(transport.call("POST", "run", Wire.runBody(request), RunResponse.class,
                timeoutFor(request.timeout())).getData());
    }

    /** {@code POST /run/stream}. */
    @Override
    public RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation) {
        return ListenedStream.run(runStream(request), listener, cancellation);
    }

    /** The events of {@code POST /run/stream}; close the stream to cancel the command. */
    public EventStream runStream(RunRequest request) {
        return transport.stream("run/stream", Wire.runBody(request));
    }

    /** {@code POST /batch/run}. */
    @Override
    public List<BatchOutcome> batch(List<RunRequest> requests) {
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

    @Override
    public List<SandboxInfo> list() {
        List<Sandbox> data = transport.call("GET", "sandboxes", null, SandboxListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("sandbox list answer without data", null);
        }
        return data.stream().map(Wire::sandbox).toList();
    }

    /**
     * {@code POST /sandboxes}, then {@code GET} of the new sandbox: the create answer has only its name, status and
     * backend (as the seed API shows), and callers get the whole {@link SandboxInfo}, as in process.
     */
    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return create(spec, CreateOptions.NONE);
    }

    @Override
    public SandboxInfo get(String name) {
        return Wire.sandbox(transport.call("GET", sandboxPath(name), null, SandboxResponse.class, timeout).getData());
    }

    /** {@code POST /sandboxes/{name}/exec}. */
    @Override
    public ExecResult exec(String name, ExecRequest request) {
        return Wire.execResult(transport.call("POST", sandboxPath(name) + "/exec", Wire.execBody(request),
                ExecResponse.class, timeoutFor(request.timeout())).getData());
    }

    /** {@code POST /sandboxes/{name}/exec/stream}. */
    @Override
    public ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        return ListenedStream.exec(execStream(name, request), listener, cancellation);
    }

    /** The events of {@code POST /sandboxes/{name}/exec/stream}; close the stream to cancel the command. */
    public EventStream execStream(String name, ExecRequest request) {
        return transport.stream(sandboxPath(name) + "/exec/stream", Wire.execBody(request));
    }

    /**
     * {@code GET /sandboxes/{name}/pty} as a WebSocket; returns once the server opened the terminal (or throws its
     * error: not found, busy, unsupported). Output and the end come on the JDK WebSocket's threads.
     */
    @Override
    public PtySession openPty(String name, PtyRequest request, PtyListener listener) {
        Objects.requireNonNull(listener, "listener");
        return RemotePty.open(http, baseUri, sandboxPath(name) + "/pty", request, listener, mapper, timeout, auth);
    }

    // ---- ports (issue 18). The document's port answers are inline envelopes whose generated classes are named
    // after operation ids (ExposePort200Response...), so their data is read field by field (Wire.exposedPort,
    // Wire.portUrl) instead: renaming an operation cannot break the client.

    /** {@code POST /sandboxes/{name}/ports}: idempotent, the first exposure comes back. */
    @Override
    public ExposedPort exposePort(String name, int port) {
        return Wire.exposedPort(transport.call("POST", portsPath(name), Map.of("port", Validation.port(port)),
                JsonNode.class, timeout));
    }

    /** {@code DELETE /sandboxes/{name}/ports/{port}}. */
    @Override
    public void unexposePort(String name, int port) {
        transport.call("DELETE", portPath(name, port), null, MessageResponse.class, timeout);
    }

    /** {@code GET /sandboxes/{name}/ports}. */
    @Override
    public List<ExposedPort> exposedPorts(String name) {
        return Wire.exposedPorts(transport.call("GET", portsPath(name), null, JsonNode.class, timeout));
    }

    /**
     * Not over HTTP: a connection to a sandbox's port goes through the server's proxy path
     * ({@code /sandboxes/{name}/ports/{port}/...}, with the API key) or a signed {@link #portUrl}; an in-process
     * {@code openPort} needs the embedded kernel.
     */
    @Override
    public PortStream openPort(String name, int port, PortListener listener) {
        throw new AgentKernelException.UnsupportedException("openPort is not available over HTTP: reach the port "
                + "through the server's proxy path " + baseUri + portPath(name, port) + "/ (with the API key) or a "
                + "signed URL (portUrl)");
    }

    /**
     * {@code POST /sandboxes/{name}/ports/{port}/url}; {@code ttl} null takes the server's default (one hour), and
     * is sent in whole seconds (at least one).
     */
    @Override
    public PortUrl portUrl(String name, int port, Duration ttl) {
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw Validation.invalid("Invalid ttl: must be positive");
        }
        Map<String, String> body = ttl == null ? Map.of() : Map.of("ttl", Long.toString(Math.max(1, ttl.toSeconds())));
        return Wire.portUrl(transport.call("POST", portPath(name, port) + "/url", body, JsonNode.class, timeout));
    }

    private static String portsPath(String name) {
        return sandboxPath(name) + "/ports";
    }

    private static String portPath(String name, int port) {
        return portsPath(name) + "/" + Validation.port(port);
    }

    @Override
    public SandboxInfo stop(String name) {
        return Wire.sandbox(transport.call("POST", sandboxPath(name) + "/stop", null, SandboxResponse.class, timeout)
                .getData());
    }

    @Override
    public SandboxInfo start(String name) {
        return Wire.sandbox(transport.call("POST", sandboxPath(name) + "/start", null, SandboxResponse.class, timeout)
                .getData());
    }

    @Override
    public void remove(String name) {
        transport.call("DELETE", sandboxPath(name), null, MessageResponse.class, timeout);
    }

    // ---- files

    @Override
    public FileContent readFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        FileData d = transport.call("GET", filesPath(name, normal), null, FileResponse.class, timeout).getData();
        if (d == null || d.getContent() == null) {
            throw Errors.protocol("file answer without content", null);
        }
        if (d.getEncoding() == FileEncoding.BASE64) {
            try {
                return new FileContent(normal, Base64.getDecoder().decode(d.getContent()));
            } catch (IllegalArgumentException e) {
                throw Errors.protocol("file content is not valid base64", e);
            }
        }
        return new FileContent(normal, d.getContent().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes bytes (sent base64-encoded), creating parent folders. */
    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        FileContent file = new FileContent(path, content);
        WriteFileRequest body = new WriteFileRequest()
                .content(Base64.getEncoder().encodeToString(file.content())).encoding(FileEncoding.BASE64);
        transport.call("PUT", filesPath(name, file.path()), body, MessageResponse.class, timeout);
        return file;
    }

    @Override
    public String deleteFile(String name, String path) {
        String normal = Validation.sandboxPath(path);
        transport.call("DELETE", filesPath(name, normal), null, MessageResponse.class, timeout);
        return normal;
    }

    // ---- audit

    /** Entries at or after {@code query.since()} (null: all), at most the {@code limit} most recent (0: all). */
    @Override
    public List<AuditEvent> logs(String name, LogQuery query) {
        LogQuery q = query == null ? LogQuery.ALL : query;
        StringBuilder params = new StringBuilder();
        if (q.since() != null) {
            params.append("since=").append(HttpTransport.segment(q.since().toString()));
        }
        if (q.limit() > 0) {
            params.append(params.length() > 0 ? "&" : "").append("limit=").append(q.limit());
        }
        String path = sandboxPath(name) + "/logs" + (params.length() > 0 ? "?" + params : "");
        List<dev.agentkernel.client.generated.model.AuditEvent> data =
                transport.call("GET", path, null, AuditEventListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("log answer without data", null);
        }
        return data.stream().map(Wire::audit).toList();
    }

    // ---- upstream 0.18: identity, TTL, bulk files, detached commands

    /** {@code GET /sandboxes/by-uuid/{uuid}}. */
    @Override
    public SandboxInfo getByUuid(String uuid) {
        String u = Validation.uuid(uuid);
        return Wire.sandbox(transport.call("GET", "sandboxes/by-uuid/" + u, null, SandboxResponse.class, timeout)
                .getData());
    }

    /** {@code POST /sandboxes/{name}/extend}; the duration is sent in whole seconds. */
    @Override
    public java.time.Instant extend(String name, Duration by) {
        Validation.ttl("by", by);
        ExtendResult r = transport.call("POST", sandboxPath(name) + "/extend",
                new ExtendRequest().by(Long.toString(Math.max(1, by.toSeconds()))), ExtendResponse.class, timeout)
                .getData();
        if (r == null || r.getExpiresAt() == null) {
            throw Errors.protocol("extend answer without expires_at", null);
        }
        return r.getExpiresAt().toInstant();
    }

    /**
     * {@code POST /sandboxes/{name}/files}. The wire carries text: every content must be valid UTF-8 (binary files
     * go one by one through {@link #writeFile}).
     */
    @Override
    public int writeFiles(String name, Map<String, byte[]> files) {
        if (files == null || files.isEmpty()) {
            throw Validation.invalid("Invalid files: at least one file is required");
        }
        Map<String, String> text = new java.util.LinkedHashMap<>();
        files.forEach((path, content) -> {
            FileContent f = new FileContent(path, content);
            text.put(f.path(), f.utf8().orElseThrow(() -> Validation.invalid("Invalid files: the content of "
                    + f.path() + " is not UTF-8 text")));
        });
        WriteFilesResult r = transport.call("POST", sandboxPath(name) + "/files", new WriteFilesRequest().files(text),
                WriteFilesResponse.class, timeout).getData();
        if (r == null || r.getWritten() == null) {
            throw Errors.protocol("bulk write answer without written", null);
        }
        return r.getWritten();
    }

    /** {@code POST /sandboxes/{name}/exec/detach}. */
    @Override
    public DetachedCommand execDetached(String name, ExecRequest request) {
        return Wire.detached(transport.call("POST", sandboxPath(name) + "/exec/detach", Wire.execBody(request),
                DetachedCommandResponse.class, timeout).getData());
    }

    @Override
    public List<DetachedCommand> detachedList(String name) {
        List<dev.agentkernel.client.generated.model.DetachedCommand> data = transport.call("GET",
                sandboxPath(name) + "/exec/detached", null, DetachedCommandListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("detached list answer without data", null);
        }
        return data.stream().map(Wire::detached).toList();
    }

    @Override
    public DetachedCommand detachedStatus(String name, String id) {
        return Wire.detached(transport.call("GET", detachedPath(name, id), null, DetachedCommandResponse.class,
                timeout).getData());
    }

    @Override
    public String detachedLogs(String name, String id, DetachedCommand.Stream stream) {
        DetachedLogs d = transport.call("GET", detachedPath(name, id) + "/logs?stream=" + stream.wireName(), null,
                DetachedLogsResponse.class, timeout).getData();
        String text = d == null ? null : stream == DetachedCommand.Stream.STDERR ? d.getStderr() : d.getStdout();
        if (text == null) {
            throw Errors.protocol("detached logs answer without " + stream.wireName(), null);
        }
        return text;
    }

    /** {@code DELETE /sandboxes/{name}/exec/detached/{id}}, then its status (the answer is only a message). */
    @Override
    public DetachedCommand detachedKill(String name, String id) {
        transport.call("DELETE", detachedPath(name, id), null, MessageResponse.class, timeout);
        return detachedStatus(name, id);
    }

    private static String detachedPath(String name, String id) {
        return sandboxPath(name) + "/exec/detached/" + Validation.detachedId(id);
    }

    // ---- create options, snapshots, volumes, secrets

    /** {@code POST /sandboxes} with the create options, then {@code GET} of the new sandbox (see {@link #create(SandboxSpec)}). */
    @Override
    public SandboxInfo create(SandboxSpec spec, CreateOptions options) {
        CreateOptions o = options == null ? CreateOptions.NONE : options;
        // A clone may take minutes: wait for it as for a command.
        Duration wait = o.sourceUrl() == null ? timeout : timeoutFor(Duration.ofMinutes(10));
        SandboxInfo created = Wire.sandbox(transport.call("POST", "sandboxes", Wire.createBody(spec, o),
                SandboxResponse.class, wait).getData());
        try {
            return get(created.name());
        } catch (AgentKernelException.NotFoundException removedMeanwhile) {
            return created;
        }
    }

    /** {@code POST /snapshots}; {@code name} null lets the server generate one. */
    @Override
    public SnapshotInfo takeSnapshot(String sandbox, String name) {
        TakeSnapshotRequest body = new TakeSnapshotRequest().sandbox(Validation.sandboxName(sandbox))
                .name(name == null ? null : Validation.snapshotName(name));
        return Wire.snapshot(transport.call("POST", "snapshots", body, SnapshotResponse.class, timeoutFor(null))
                .getData());
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        List<Snapshot> data = transport.call("GET", "snapshots", null, SnapshotListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("snapshot list answer without data", null);
        }
        return data.stream().map(Wire::snapshot).toList();
    }

    @Override
    public SnapshotInfo getSnapshot(String name) {
        return Wire.snapshot(transport.call("GET", snapshotPath(name), null, SnapshotResponse.class, timeout).getData());
    }

    @Override
    public void deleteSnapshot(String name) {
        transport.call("DELETE", snapshotPath(name), null, MessageResponse.class, timeout);
    }

    /** {@code POST /snapshots/{name}/restore}: the new sandbox, running. */
    @Override
    public SandboxInfo restoreSnapshot(String name, String asName) {
        RestoreSnapshotRequest body = new RestoreSnapshotRequest()
                .asName(asName == null ? null : Validation.sandboxName(asName));
        return Wire.sandbox(transport.call("POST", snapshotPath(name) + "/restore", body, SandboxResponse.class,
                timeoutFor(null)).getData());
    }

    @Override
    public VolumeInfo createVolume(String name) {
        return Wire.volume(transport.call("POST", "volumes", new CreateVolumeRequest().name(Validation.volumeName(name)),
                VolumeResponse.class, timeout).getData());
    }

    @Override
    public List<VolumeInfo> listVolumes() {
        List<Volume> data = transport.call("GET", "volumes", null, VolumeListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("volume list answer without data", null);
        }
        return data.stream().map(Wire::volume).toList();
    }

    @Override
    public void removeVolume(String name) {
        transport.call("DELETE", "volumes/" + HttpTransport.segment(Validation.volumeName(name)), null,
                MessageResponse.class, timeout);
    }

    /** {@code PUT /secrets/{key}}: the value travels once, to the server's host store. */
    @Override
    public void setSecret(String key, String value) {
        transport.call("PUT", secretPath(key), new SetSecretRequest().value(Objects.requireNonNull(value, "value")),
                MessageResponse.class, timeout);
    }

    @Override
    public List<String> listSecrets() {
        List<String> data = transport.call("GET", "secrets", null, StringListResponse.class, timeout).getData();
        if (data == null) {
            throw Errors.protocol("secret list answer without data", null);
        }
        return data;
    }

    @Override
    public void removeSecret(String key) {
        transport.call("DELETE", secretPath(key), null, MessageResponse.class, timeout);
    }

    private static String snapshotPath(String name) {
        return "snapshots/" + HttpTransport.segment(Validation.snapshotName(name));
    }

    private static String secretPath(String key) {
        return "secrets/" + HttpTransport.segment(Validation.secretKey(key));
    }

    /** Nothing to release: the JDK's HTTP client keeps no resource that outlives its idle connections. */
    @Override
    public void close() {
    }

    // ---- helpers

    /** How long to wait for the answer of a command call: the command's time (its own, else the server's). */
    private Duration timeoutFor(Duration commandTimeout) {
        Duration needed = (commandTimeout != null ? commandTimeout : SERVER_DEFAULT_COMMAND_TIMEOUT).plus(SERVER_MARGIN);
        return needed.compareTo(timeout) > 0 ? needed : timeout;
    }

    /** Names are checked here with the kernel's own rule, so a bad one fails the same way as in process. */
    private static String sandboxPath(String name) {
        return "sandboxes/" + HttpTransport.segment(Validation.sandboxName(name));
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

        /**
         * How long to wait for an answer (default 30 s). A command call waits for its command: its own timeout plus
         * 30 s, or without one, {@link #SERVER_DEFAULT_COMMAND_TIMEOUT} plus 30 s, when that is longer.
         */
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
