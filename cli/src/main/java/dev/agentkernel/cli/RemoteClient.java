package dev.agentkernel.cli;

import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.client.AgentKernelClientException;
import dev.agentkernel.client.AuditEntry;
import dev.agentkernel.client.BatchResult;
import dev.agentkernel.client.EventStream;
import dev.agentkernel.client.Health;
import dev.agentkernel.client.StreamEvent;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ErrorCode;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.api.SandboxStatus;
import dev.agentkernel.api.SecurityProfile;
import dev.agentkernel.core.image.ImageResolver;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The commands against a running server, through the client SDK ({@link AgentKernelClient}). Streams
 * ({@code run}, {@code exec}) use the SSE endpoints so output shows as it is produced; cancelling closes the
 * stream, and the server kills the command. SDK failures become {@link AgentKernelException}s with the server's
 * error code, so the exit-code table is the same as embedded.
 */
public final class RemoteClient implements SandboxClient {
    private static final String UNKNOWN_BACKEND = "remote";

    private final String url;
    private final AgentKernelClient client;

    public RemoteClient(String url, String apiKey) {
        this.url = url;
        try {
            this.client = AgentKernelClient.builder().baseUrl(url).apiKey(apiKey).build();
        } catch (IllegalArgumentException e) {
            throw new AgentKernelException.InvalidRequestException("Invalid --url '" + url + "': " + e.getMessage());
        }
    }

    @Override
    public String target() {
        return url;
    }

    @Override
    public RunResult run(RunRequest r, RunListener listener, Cancellation cancellation) {
        dev.agentkernel.client.RunRequest body = new dev.agentkernel.client.RunRequest(r.command(), r.image(),
                r.profile() == null ? null : r.profile().wireName(), r.fast(), r.vcpus(), r.memoryMb(), r.env(),
                r.workdir(), r.timeout(), null);
        Streamed s = stream(() -> client.runStream(body), listener, cancellation);
        return new RunResult(s.sandbox == null ? "(remote)" : s.sandbox, r.image(), null, false, s.result);
    }

    @Override
    public Optional<ImageResolver.Choice> resolveImage(List<String> argv, Path projectDir) {
        return Optional.empty(); // the server resolves images itself
    }

    @Override
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        List<dev.agentkernel.client.RunRequest> bodies = requests.stream().map(r -> new dev.agentkernel.client.RunRequest(
                r.command(), r.image(), r.profile() == null ? null : r.profile().wireName(), r.fast(), r.vcpus(),
                r.memoryMb(), r.env(), r.workdir(), r.timeout(), null)).toList();
        List<BatchResult> results = call(() -> client.batch(bodies));
        List<BatchOutcome> out = new ArrayList<>();
        for (BatchResult b : results) {
            out.add(b.isOk() ? BatchOutcome.ok(new RunResult("(remote)", null, null, false, exec(b.result())))
                    : BatchOutcome.failed(new AgentKernelException(ErrorCode.INTERNAL, String.valueOf(b.error()))));
        }
        return out;
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        if (!spec.env().isEmpty() || !spec.labels().isEmpty()) {
            throw new AgentKernelException.InvalidRequestException("--env on create is not part of the HTTP API; "
                    + "pass -e to each exec instead");
        }
        dev.agentkernel.client.SandboxSpec body = new dev.agentkernel.client.SandboxSpec(spec.image(), spec.vcpus(),
                spec.memoryMb(), spec.profile().wireName());
        return info(call(() -> client.create(spec.name(), body)));
    }

    @Override
    public SandboxInfo get(String name) {
        return info(call(() -> client.get(name)));
    }

    @Override
    public List<SandboxInfo> list() {
        return call(client::list).stream().map(RemoteClient::info).toList();
    }

    @Override
    public ExecResult exec(String name, ExecRequest r, RunListener listener, Cancellation cancellation) {
        dev.agentkernel.client.ExecRequest body = new dev.agentkernel.client.ExecRequest(r.argv(), r.env(), r.workdir(),
                r.timeout(), r.stdin() == null ? null : new String(r.stdin(), StandardCharsets.UTF_8));
        return stream(() -> client.execStream(name, body), listener, cancellation).result;
    }

    @Override
    public SandboxInfo start(String name) {
        return info(call(() -> client.start(name)));
    }

    @Override
    public SandboxInfo stop(String name) {
        return info(call(() -> client.stop(name)));
    }

    @Override
    public void remove(String name) {
        call(() -> {
            client.remove(name);
            return null;
        });
    }

    @Override
    public FileContent readFile(String name, String path) {
        return new FileContent(path, call(() -> client.readFileBytes(name, path)));
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        call(() -> client.writeFile(name, path, content));
        return new FileContent(path, content);
    }

    @Override
    public String deleteFile(String name, String path) {
        call(() -> client.deleteFile(name, path));
        return path;
    }

    @Override
    public List<AuditEvent> logs(String name, LogQuery query) {
        List<AuditEntry> entries = call(() -> client.logs(name, query.since(), query.limit()));
        return entries.stream().map(e -> new AuditEvent(e.timestamp(), e.event(), e.sandbox(), e.details())).toList();
    }

    @Override
    public PoolStats pool() {
        dev.agentkernel.client.PoolStats p = call(client::pool);
        return new PoolStats(p.enabled(), p.targetPerKey(), p.max(), p.size(), p.hits(), p.misses(), p.creations(),
                p.failures(), p.claimLatencyP50Ms(), p.claimLatencyP99Ms(), List.of());
    }

    @Override
    public BackendHealth health() {
        Health h = call(client::health);
        String backend = h.backend() == null ? UNKNOWN_BACKEND : h.backend();
        return h.isOk() ? BackendHealth.up(backend, h.version() == null ? Map.of() : Map.of("version", h.version()))
                : BackendHealth.down(backend, h.message() == null ? h.status() : h.message());
    }

    @Override
    public void close() {
        // java.net.http keeps no resource that outlives this short process
    }

    /** Reads a stream of events into the listener and an {@link ExecResult}. */
    private Streamed stream(Supplier<EventStream> open, RunListener listener, Cancellation cancellation) {
        EventStream events = call(open::get);
        cancellation.onCancel(events::close);
        Streamed s = new Streamed();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        try (events) {
            for (StreamEvent e : events) {
                if (e instanceof StreamEvent.Started st) {
                    s.sandbox = st.sandbox();
                    listener.onStarted(st.sandbox(), null, null, false);
                } else if (e instanceof StreamEvent.Progress p) {
                    stage(p.stage()).ifPresent(listener::onProgress);
                } else if (e instanceof StreamEvent.Output o) {
                    byte[] bytes = o.content().getBytes(StandardCharsets.UTF_8);
                    (o.isStderr() ? stderr : stdout).writeBytes(bytes);
                    both.writeBytes(bytes);
                    listener.onOutput(new OutputChunk(o.isStderr() ? OutputChunk.Stream.STDERR : OutputChunk.Stream.STDOUT,
                            bytes));
                } else if (e instanceof StreamEvent.Done d) {
                    s.result = new ExecResult(d.exitCode(), stdout.toString(StandardCharsets.UTF_8),
                            stderr.toString(StandardCharsets.UTF_8), both.toString(StandardCharsets.UTF_8), d.duration(),
                            d.timedOut(), false);
                    listener.onDone(s.result);
                } else if (e instanceof StreamEvent.Error err) {
                    throw new AgentKernelException(code(err.code(), 0), err.message());
                }
            }
        } catch (AgentKernelClientException e) {
            throw translate(e);
        }
        if (s.result == null) {
            if (cancellation.isCancelled()) {
                throw new AgentKernelException(ErrorCode.INTERNAL, "cancelled");
            }
            throw new AgentKernelException.BackendUnavailableException("the server at " + url
                    + " ended the stream without a result", null);
        }
        return s;
    }

    private static final class Streamed {
        String sandbox;
        ExecResult result;
    }

    private static Optional<RunListener.Stage> stage(String wire) {
        try {
            return Optional.of(RunListener.Stage.valueOf(wire.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException unknownStage) {
            return Optional.empty();
        }
    }

    private <T> T call(Supplier<T> work) {
        try {
            return work.get();
        } catch (AgentKernelClientException e) {
            throw translate(e);
        }
    }

    private AgentKernelException translate(AgentKernelClientException e) {
        if (e.isNetworkFailure()) {
            ErrorCode code = AgentKernelClientException.CODE_TIMEOUT.equals(e.code()) ? ErrorCode.TIMEOUT
                    : ErrorCode.BACKEND_UNAVAILABLE;
            return new AgentKernelException(code, "cannot reach the agentkernel server at " + url + ": " + e.getMessage()
                    + " (start one with: agentkernel serve)", e);
        }
        return new AgentKernelException(code(e.code(), e.status()), e.getMessage(), e);
    }

    /** The server's machine code, else the HTTP status, as an {@link ErrorCode}. */
    static ErrorCode code(String wire, int status) {
        if (wire != null) {
            for (ErrorCode c : ErrorCode.values()) {
                if (c.code().equals(wire)) {
                    return c;
                }
            }
        }
        return switch (status) {
            case 400 -> ErrorCode.INVALID_REQUEST;
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404 -> ErrorCode.NOT_FOUND;
            case 409 -> ErrorCode.CONFLICT;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 429 -> ErrorCode.BUSY;
            case 503 -> ErrorCode.BACKEND_UNAVAILABLE;
            default -> ErrorCode.INTERNAL;
        };
    }

    private static ExecResult exec(dev.agentkernel.client.ExecResult r) {
        return new ExecResult(r.exitCode(), r.stdout(), r.stderr(), r.output(), r.duration(), r.timedOut(), r.truncated());
    }

    private static SandboxInfo info(dev.agentkernel.client.SandboxInfo s) {
        SandboxStatus status;
        try {
            status = SandboxStatus.valueOf(s.status().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            status = SandboxStatus.UNKNOWN;
        }
        SecurityProfile profile = null;
        if (s.profile() != null) {
            try {
                profile = SecurityProfile.fromWire(s.profile());
            } catch (AgentKernelException unknown) {
                profile = null;
            }
        }
        return new SandboxInfo(s.name(), status, s.backend() == null ? UNKNOWN_BACKEND : s.backend(), s.image(), s.vcpus(),
                s.memoryMb(), s.createdAt(), profile, SandboxKind.NAMED, null, null, null);
    }
}
