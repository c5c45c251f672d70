package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Talks to one {@code agentkernel-agent} over a byte stream pair (a container's attached stdio, or a local
 * process's pipes in tests). Any number of calls may run at once on one connection: each has its own request
 * id, one reader thread hands incoming frames to the call they belong to, and one writer ({@link AgentWriter})
 * sends. Thread-safe.
 *
 * <p>The agent is untrusted input. Every frame is checked against the call it answers: its type, its size, and
 * the call's totals (an exec's output cap per stream, a file read's maximum, stdin acknowledged no more than was
 * sent). A frame for an id we never used, after its call ended, of the wrong type or over a limit is a protocol
 * violation: the connection is closed and every call on it fails naming the sandbox; {@link #fault()} then says
 * why, so the owner can mark the sandbox broken. Nothing is buffered beyond a call's limit.
 *
 * <p>Nothing here blocks a caller beyond its deadline: sending waits only for room in the writer's bounded queue,
 * up to the call's deadline; KILL never waits. A watchdog ({@link AgentWatchdog}) closes the connection when a
 * write makes no progress for {@link Options#writeDeadline} or, while calls are pending, the agent leaves a PING
 * unanswered for {@link Options#silenceLimit} (a frozen agent: {@code docker pause}, a SIGSTOP from the host).
 * An agent that is alive but slow (killing a fork bomb answers PINGs) gets the long backstop instead: timeouts
 * are enforced by the agent (it kills the command's whole tree); {@link Options#backstop} after a command's own
 * timeout the client sends KILL, and if the agent still does not answer the call fails.
 */
public final class AgentClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentClient.class);
    /**
     * Extra time granted to the agent beyond a command's timeout before the client steps in (and again after its
     * kill). Generous on purpose: stopping and killing a fork bomb that holds ~1000 pids on 2 busy cores took longer
     * than 5 s in CI; the docker-exec path's killer gets 20 s too. A frozen agent is caught by the PING instead.
     */
    public static final Duration BACKSTOP = Duration.ofSeconds(20);
    /** Longer waits are treated as no limit at all (and never overflow a clock). */
    private static final long MAX_WAIT_NANOS = Duration.ofDays(365L * 100).toNanos();
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final int MAX_ABANDONED = 1024;

    /** Limits of one connection. */
    public record Options(Duration writeDeadline, Duration silenceLimit, Duration pingInterval, int queueBytes,
                          Duration backstop, Duration fileTimeout) {
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(1), 2 << 20, BACKSTOP, Duration.ofSeconds(60));

        public Options {
            for (Duration d : new Duration[]{writeDeadline, silenceLimit, pingInterval, backstop, fileTimeout}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("durations must be positive");
                }
            }
            if (queueBytes < AgentProtocol.CHUNK + AgentProtocol.HEADER_BYTES) {
                throw new IllegalArgumentException("queueBytes must hold at least one chunk");
            }
        }
    }

    private final String sandbox;
    private final Options options;
    private final DataInputStream in;
    private final Closeable resource;
    private final AgentWriter writer;
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    /** Port connections not yet ended (their onClosed not yet heard). */
    private final AtomicInteger openPorts = new AtomicInteger();
    /** Calls we gave up on (their frames may still come and are dropped); bounded, oldest forgotten. */
    private final Set<Integer> abandoned = new LinkedHashSet<>();
    /** Random start: ids say nothing about other connections; the ids we used are (firstId, ids]. */
    private final int firstId = new SecureRandom().nextInt();
    private final AtomicInteger ids = new AtomicInteger(firstId);
    private final Thread reader;
    private final Object pingLock = new Object();
    private volatile IOException broken;
    private volatile IOException fault;
    private volatile AgentProtocol.Hello hello;
    private int pingId;
    private long pingSentAt;
    private long lastPingAt;
    /** When the reader started handing a frame to a call (listeners may be slow: not the agent's fault); 0 idle. */
    private volatile long deliveringSince;

    private AgentClient(String sandbox, InputStream in, OutputStream out, Closeable resource, Options options) {
        this.sandbox = sandbox;
        this.options = options;
        this.in = AgentFrame.buffered(in);
        this.resource = resource;
        this.writer = new AgentWriter(sandbox, out, options.queueBytes(), e -> fail(e, false));
        // One reader per sandbox (a server may hold hundreds): a small stack, it only parses frames.
        this.reader = new Thread(null, this::readLoop, "agentkernel-agent-" + sandbox, 256 * 1024);
        this.reader.setDaemon(true);
    }

    /**
     * Starts the reader and checks the agent answers HELLO with our protocol version within {@code timeout}.
     * On failure the resource is closed and the exception says why.
     */
    public static AgentClient connect(String sandbox, InputStream in, OutputStream out, Closeable resource,
                                      Duration timeout) {
        return connect(sandbox, in, out, resource, timeout, Options.DEFAULTS);
    }

    public static AgentClient connect(String sandbox, InputStream in, OutputStream out, Closeable resource,
                                      Duration timeout, Options options) {
        AgentClient client = new AgentClient(sandbox, in, out, resource, Objects.requireNonNull(options));
        client.reader.start();
        AgentWatchdog.watch(client);
        try {
            HelloCall call = new HelloCall();
            int id = client.nextId();
            long deadline = deadlineAfter(System.nanoTime(), timeout);
            try {
                client.call(id, call, new AgentFrame(AgentProtocol.HELLO, id, AgentProtocol.hello()), deadline, "agent handshake");
                AgentProtocol.Hello hello;
                try {
                    hello = client.await(call.result, deadline, "agent handshake");
                } catch (AgentKernelException.OperationTimeoutException e) {
                    // As good as a PING left unanswered: the agent is there but does not answer.
                    Unresponsive silent = new Unresponsive("did not answer the handshake in " + seconds(nanos(timeout)));
                    client.fail(silent, true);
                    throw client.failure(silent);
                }
                if (hello.version() != AgentProtocol.VERSION) {
                    throw new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox
                            + "' speaks protocol " + hello.version() + ", expected " + AgentProtocol.VERSION, null);
                }
                client.hello = hello;
            } finally {
                client.finish(id);
            }
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    public AgentProtocol.Hello hello() {
        return hello;
    }

    /** False once the connection failed or was closed; a closed client refuses new calls. */
    public boolean isOpen() {
        return broken == null;
    }

    /**
     * Why the connection was closed when the agent is to blame (a protocol violation, no answer to PING, no data
     * taken for the write deadline), else null (open, closed by us, or the stream simply ended).
     */
    public String fault() {
        IOException f = fault;
        return f == null ? null : describe(f);
    }

    /** The fault behind an error this client threw, as {@link #fault()} words it; null for other errors. */
    public static String faultOf(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AgentProtocol.Violation || t instanceof Unresponsive) {
                return describe((IOException) t);
            }
        }
        return null;
    }

    private static String describe(IOException fault) {
        return fault instanceof Unresponsive ? fault.getMessage() : "broke the protocol (" + fault.getMessage() + ")";
    }

    public ExecResult exec(ExecRequest request, OutputListener listener, Cancellation cancellation) {
        long started = System.nanoTime();
        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        ExecCall call = new ExecCall(collector::accept, request.maxOutputBytes());
        int id = nextId();
        byte[] stdin = request.stdin();
        boolean stdinFollows = stdin != null && stdin.length > 0;
        long timeoutMs = request.timeout() == null ? 0 : Math.max(1, Math.min(millis(request.timeout()),
                MAX_WAIT_NANOS / 1_000_000));
        // The agent ends the command at its timeout; we wait a backstop longer (and another after a KILL).
        long deadline = request.timeout() == null ? NO_DEADLINE
                : deadlineAfter(started, request.timeout(), options.backstop());
        try {
            call(id, call, new AgentFrame(AgentProtocol.EXEC, id, AgentProtocol.exec(request.argv(), request.env(),
                    request.workdir(), timeoutMs, request.maxOutputBytes(), stdinFollows)), deadline, "command");
            Runnable kill = () -> {
                call.stopStdin();
                writer.discard(id, AgentProtocol.STDIN);
                sendUrgentQuietly(new AgentFrame(AgentProtocol.KILL, id, null));
            };
            cancellation.onCancel(kill);
            if (stdinFollows) {
                sendStdin(id, call, stdin, deadline);
            }
            Object outcome = awaitOrKill(call.result, deadline, kill);
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            if (outcome instanceof AgentProtocol.Error error) {
                return spawnFailure(error, collector, duration);
            }
            AgentProtocol.Exit exit = (AgentProtocol.Exit) outcome;
            if (exit.has(AgentProtocol.EXIT_TRUNCATED)) {
                collector.markTruncated();
            }
            boolean killed = exit.has(AgentProtocol.EXIT_TIMED_OUT) || exit.has(AgentProtocol.EXIT_CANCELLED)
                    || cancellation.isCancelled();
            return collector.result(exit.exitCode(), duration, killed);
        } finally {
            finish(id);
        }
    }

    /** Streams stdin within the agent's window: waits for acknowledgements, never for a command that stopped. */
    private void sendStdin(int id, ExecCall call, byte[] stdin, long deadline) {
        try {
            for (int off = 0; off < stdin.length; ) {
                int len = Math.min(AgentProtocol.CHUNK, stdin.length - off);
                if (!call.reserveWindow(len, deadline)) {
                    return; // the command ended, closed its stdin or was cancelled, or time is up
                }
                writer.send(new AgentFrame(AgentProtocol.STDIN, id, Arrays.copyOfRange(stdin, off, off + len)), deadline);
                off += len;
            }
            if (call.stdinWanted()) {
                writer.send(new AgentFrame(AgentProtocol.STDIN, id, null), deadline);
            }
        } catch (AgentWriter.QueueFull e) {
            // time is up: the wait for the result below times out and kills
        } catch (IOException e) {
            // the channel failed: the call fails with it, below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The command could not be started. Like a shell (and Docker's exec), a missing program is exit 127 and any
     * other start failure 126 (a bad workdir, a full pids limit), with the reason on stderr.
     */
    private ExecResult spawnFailure(AgentProtocol.Error error, OutputCollector collector, Duration duration) {
        if (error.stage() == AgentProtocol.STAGE_PROTOCOL) {
            throw new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox
                    + "' refused the command: " + error.message(), null);
        }
        collector.accept(OutputChunk.Stream.STDERR, spawnMessage(error, "\n"));
        return collector.result(spawnExitCode(error), duration, false);
    }

    private static int spawnExitCode(AgentProtocol.Error error) {
        return error.stage() == AgentProtocol.STAGE_EXEC && error.errno() == AgentProtocol.ENOENT ? 127 : 126;
    }

    private static byte[] spawnMessage(AgentProtocol.Error error, String newline) {
        String what = switch (error.stage()) {
            case AgentProtocol.STAGE_CHDIR -> "cannot enter workdir ";
            case AgentProtocol.STAGE_SPAWN -> "cannot start the command: ";
            default -> "cannot run ";
        };
        return ("agentkernel: " + what + error.message() + newline).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Starts a command on a new pseudo-terminal in the sandbox (see the agent's PTY request). Returns at once; the
     * command's output and end go to {@code listener} on this connection's reader thread. A command that cannot
     * start ends the session like a shell would (127 or 126, with the reason as output).
     */
    public PtySession openPty(PtyRequest request, PtyListener listener) {
        Objects.requireNonNull(listener, "listener");
        ExecCall call = new ExecCall((stream, bytes) -> listener.onOutput(bytes), Long.MAX_VALUE);
        int id = nextId();
        long deadline = deadlineAfter(System.nanoTime(), options.fileTimeout());
        call(id, call, new AgentFrame(AgentProtocol.PTY, id, AgentProtocol.pty(request.rows(), request.cols(),
                request.command(), request.effectiveEnv(), request.workdir())), deadline, "terminal");
        AgentPty session = new AgentPty(id, call);
        call.result.whenComplete((outcome, error) -> {
            finish(id);
            int code = -1;
            if (outcome instanceof AgentProtocol.Exit exit) {
                code = exit.exitCode();
            } else if (outcome instanceof AgentProtocol.Error e && e.stage() != AgentProtocol.STAGE_PROTOCOL) {
                listener.onOutput(spawnMessage(e, "\r\n"));
                code = spawnExitCode(e);
            }
            try {
                listener.onExit(code);
            } finally {
                session.exit.complete(code);
            }
        });
        return session;
    }

    /** A PTY request in flight: input within the stdin window, resizes, KILL on close. */
    private final class AgentPty implements PtySession {
        final int id;
        final ExecCall call;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();

        AgentPty(int id, ExecCall call) {
            this.id = id;
            this.call = call;
        }

        /**
         * Ordered (one writer at a time). Waits for the agent's window at most {@link Options#backstop}: input for a
         * terminal whose program reads nothing for that long is dropped, like keys typed into a hung terminal.
         */
        @Override
        public synchronized void write(byte[] data) {
            long deadline = deadlineAfter(System.nanoTime(), options.backstop());
            try {
                for (int off = 0; off < data.length && !exit.isDone(); ) {
                    int len = Math.min(AgentProtocol.CHUNK, data.length - off);
                    if (!call.reserveWindow(len, deadline)) {
                        return;
                    }
                    writer.send(new AgentFrame(AgentProtocol.STDIN, id, Arrays.copyOfRange(data, off, off + len)), deadline);
                    off += len;
                }
            } catch (IOException e) {
                // the channel is congested past the backstop, or failed (the session ends with it): input dropped
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void resize(int rows, int cols) {
            PtyRequest.checkSize(rows, cols);
            if (!exit.isDone()) {
                try {
                    writer.send(new AgentFrame(AgentProtocol.RESIZE, id, AgentProtocol.resize(rows, cols)),
                            deadlineAfter(System.nanoTime(), options.writeDeadline()));
                } catch (IOException e) {
                    // congested or failed: the session ends or the next resize gets through
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public CompletableFuture<Integer> exitCode() {
            return exit;
        }

        @Override
        public void close() {
            if (!exit.isDone()) {
                call.stopStdin();
                writer.discard(id, AgentProtocol.STDIN);
                sendUrgentQuietly(new AgentFrame(AgentProtocol.KILL, id, null));
            }
        }
    }

    /**
     * Connects to {@code 127.0.0.1:port} in the sandbox through the agent (its PORT request) and returns at once; a
     * refused or failed connection ends with {@link PortListener#onClosed} naming the errno. More than
     * {@link AgentProtocol#MAX_PORTS} open connections on this agent are {@code BUSY}.
     */
    public PortStream openPort(int port, PortListener listener) {
        Objects.requireNonNull(listener, "listener");
        dev.agentkernel.api.Validation.port(port);
        if (openPorts.incrementAndGet() > AgentProtocol.MAX_PORTS) {
            openPorts.decrementAndGet();
            throw new AgentKernelException.BusyException("Sandbox '" + sandbox + "' has " + AgentProtocol.MAX_PORTS
                    + " port connections open: close some first");
        }
        int id = nextId();
        AgentPort stream = new AgentPort(id, port, sandbox, writer, listener, openPorts::decrementAndGet);
        try {
            call(id, stream, new AgentFrame(AgentProtocol.PORT, id, AgentProtocol.port(port)),
                    deadlineAfter(System.nanoTime(), options.writeDeadline()), "port connection");
        } catch (RuntimeException e) {
            calls.remove(id);
            stream.notStarted();
            throw e;
        }
        return stream;
    }

    /** Reads a regular file; over {@code maxBytes} is PAYLOAD_TOO_LARGE, and nothing beyond it is kept. */
    public byte[] readFile(String path, long maxBytes) {
        FileCall call = new FileCall(path, true, maxBytes);
        int id = nextId();
        long deadline = deadlineAfter(System.nanoTime(), options.fileTimeout());
        try {
            call(id, call, new AgentFrame(AgentProtocol.FILE_READ, id, AgentProtocol.fileRead(path, maxBytes)), deadline,
                    "file read");
            Object outcome = await(call.result, deadline, "file read");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "read", path, sandbox);
            }
            return call.data.toByteArray();
        } finally {
            finish(id);
        }
    }

    /** Writes a file atomically (temporary file renamed over the target), creating parent directories. */
    public void writeFile(String path, byte[] content) {
        FileCall call = new FileCall(path, false, 0);
        int id = nextId();
        long deadline = deadlineAfter(System.nanoTime(), options.fileTimeout());
        try {
            call(id, call, new AgentFrame(AgentProtocol.FILE_WRITE, id, AgentProtocol.fileWrite(path, 0644)), deadline,
                    "file write");
            for (int off = 0; off < content.length && !call.result.isDone(); off += AgentProtocol.CHUNK) {
                int end = Math.min(content.length, off + AgentProtocol.CHUNK);
                send(new AgentFrame(AgentProtocol.FILE_DATA, id, Arrays.copyOfRange(content, off, end)), deadline,
                        "file write");
            }
            send(new AgentFrame(AgentProtocol.FILE_DATA, id, null), deadline, "file write");
            Object outcome = await(call.result, deadline, "file write");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "write", path, sandbox);
            }
        } finally {
            finish(id);
        }
    }

    /** Deletes a file (not a directory); a symlink itself is removed, never its target. */
    public void deleteFile(String path) {
        FileCall call = new FileCall(path, false, 0);
        int id = nextId();
        long deadline = deadlineAfter(System.nanoTime(), options.fileTimeout());
        try {
            call(id, call, new AgentFrame(AgentProtocol.FILE_DELETE, id, AgentProtocol.path(path)), deadline,
                    "file delete");
            Object outcome = await(call.result, deadline, "file delete");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "delete", path, sandbox);
            }
        } finally {
            finish(id);
        }
    }

    // ---- detached commands (DSTART, DLIST, DLOGS, DKILL): the agent keeps them, we only ask

    /**
     * Starts a detached command under {@code id}; returns its pid. A program that cannot start is
     * {@code INVALID_REQUEST} naming it; every record slot taken by a running command is {@code BUSY}.
     */
    public int detachedStart(String id, ExecRequest request) {
        long timeoutMs = request.timeout() == null ? 0 : Math.max(1, Math.min(millis(request.timeout()),
                MAX_WAIT_NANOS / 1_000_000));
        Object outcome = detachedCall(AgentProtocol.DETACHED_START, AgentProtocol.detachedStart(id, request.argv(),
                request.env(), request.workdir(), timeoutMs, request.maxOutputBytes()), 0, "detached start").outcome;
        if (outcome instanceof AgentProtocol.Error e) {
            if (e.stage() == AgentProtocol.STAGE_EXEC || e.stage() == AgentProtocol.STAGE_CHDIR) {
                throw new AgentKernelException.InvalidRequestException("Invalid command: cannot "
                        + (e.stage() == AgentProtocol.STAGE_CHDIR ? "enter workdir " : "run ") + e.message());
            }
            if (e.errno() == AgentProtocol.EAGAIN) {
                throw new AgentKernelException.BusyException("Sandbox '" + sandbox + "': " + e.message());
            }
            throw new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox
                    + "' could not start the detached command: " + e.message(), null);
        }
        long pid = (Long) outcome;
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            AgentProtocol.Violation v = new AgentProtocol.Violation("DSTART answered pid " + pid);
            fail(v, true);
            throw failure(v);
        }
        return (int) pid;
    }

    /** The agent's detached commands ({@code id} null: all of them); an unknown id is {@code NOT_FOUND}. */
    public List<AgentProtocol.DetachedInfo> detachedList(String id) {
        DetachedCall call = detachedCall(AgentProtocol.DETACHED_LIST, AgentProtocol.detachedId(id), 0, "detached list");
        notFound(call.outcome, id);
        return call.infos;
    }

    /** A detached command's kept output of one stream (0 stdout, 1 stderr), at most {@code max} bytes. */
    public byte[] detachedLogs(String id, int stream, long max) {
        DetachedCall call = detachedCall(AgentProtocol.DETACHED_LOGS, AgentProtocol.detachedLogs(id, stream), max,
                "detached logs");
        notFound(call.outcome, id);
        return call.data.toByteArray();
    }

    /** Kills a detached command's tree (the kill rule); an ended one is left as it is. */
    public void detachedKill(String id) {
        notFound(detachedCall(AgentProtocol.DETACHED_KILL, AgentProtocol.detachedId(id), 0, "detached kill").outcome, id);
    }

    private void notFound(Object outcome, String id) {
        if (outcome instanceof AgentProtocol.Error e) {
            if (e.errno() == AgentProtocol.ENOENT) {
                throw AgentKernel.detachedNotFound(sandbox, id);
            }
            throw new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox
                    + "' refused the request: " + e.message(), null);
        }
    }

    private DetachedCall detachedCall(byte type, byte[] payload, long maxData, String what) {
        DetachedCall call = new DetachedCall(type, maxData);
        int id = nextId();
        long deadline = deadlineAfter(System.nanoTime(), options.fileTimeout());
        try {
            call(id, call, new AgentFrame(type, id, payload), deadline, what);
            call.outcome = await(call.result, deadline, what);
            return call;
        } finally {
            finish(id);
        }
    }

    @Override
    public void close() {
        fail(new IOException("agent connection closed"), false);
    }

    // ---------------------------------------------------------------------------------------------

    private int nextId() {
        return ids.incrementAndGet();
    }

    /** Whether we ever used this id on this connection. */
    private boolean issued(int id) {
        int d = id - firstId;
        return d != 0 && Integer.compareUnsigned(d, ids.get() - firstId) <= 0;
    }

    private void call(int id, Call call, AgentFrame first, long deadline, String what) {
        IOException b = broken;
        if (b != null) {
            throw failure(b);
        }
        calls.put(id, call);
        if ((b = broken) != null) { // failed meanwhile: fail() may not have seen this call
            calls.remove(id);
            throw failure(b);
        }
        send(first, deadline, what);
    }

    private void send(AgentFrame frame, long deadline, String what) {
        try {
            writer.send(frame, deadline);
        } catch (AgentWriter.QueueFull e) {
            throw new AgentKernelException.OperationTimeoutException("The agent of sandbox '" + sandbox
                    + "' did not take the " + what + " in time (its channel is congested)");
        } catch (IOException e) {
            throw failure(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BackendUnavailableException("Interrupted while sending to the agent of sandbox '"
                    + sandbox + "'", e);
        }
    }

    private void sendUrgentQuietly(AgentFrame frame) {
        try {
            writer.sendUrgent(frame);
        } catch (IOException ignored) {
            // the connection is gone or flooded; the caller sees that through its pending call
        }
    }

    /** A call is over for its caller; if its last frame has not come, later frames for it are dropped. */
    private void finish(int id) {
        Call call = calls.remove(id);
        if (call != null && !call.ended) {
            abandon(id);
        }
    }

    private void abandon(int id) {
        synchronized (abandoned) {
            abandoned.add(id);
            if (abandoned.size() > MAX_ABANDONED) {
                abandoned.remove(abandoned.iterator().next());
            }
        }
    }

    private <T> T await(CompletableFuture<T> future, long deadline, String what) {
        try {
            return future.get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AgentKernelException.OperationTimeoutException("The agent of sandbox '" + sandbox
                    + "' did not finish the " + what + " in time");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BackendUnavailableException("Interrupted while waiting for the agent of sandbox '"
                    + sandbox + "'", e);
        }
    }

    /** Waits; past the deadline asks the agent to kill the command and waits a backstop more for its answer. */
    private Object awaitOrKill(CompletableFuture<Object> future, long deadline, Runnable kill) {
        try {
            return future.get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            kill.run();
            return await(future, deadlineAfter(System.nanoTime(), options.backstop()), "command after its timeout");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill.run();
            throw new AgentKernelException.BackendUnavailableException("Interrupted while waiting for the command", e);
        }
    }

    private RuntimeException unwrap(ExecutionException e) {
        if (e.getCause() instanceof AgentKernelException ake) {
            return ake;
        }
        if (e.getCause() instanceof IOException io) {
            return failure(io);
        }
        return new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox + "' failed",
                e.getCause());
    }

    /** The error a caller gets for a failed connection, naming the sandbox and, when it is to blame, why. */
    private AgentKernelException failure(IOException cause) {
        if (cause instanceof AgentProtocol.Violation || cause instanceof Unresponsive) {
            return new AgentKernelException.BackendUnavailableException("The agent of sandbox '" + sandbox + "' "
                    + describe(cause) + "; the sandbox is marked broken", cause);
        }
        return new AgentKernelException.BackendUnavailableException("Lost the connection to the agent of sandbox '"
                + sandbox + "'", cause);
    }

    private void readLoop() {
        try {
            AgentFrame frame;
            while ((frame = AgentFrame.read(in)) != null) {
                dispatch(frame);
            }
            fail(new IOException("the sandbox agent's stream ended"), false);
        } catch (AgentProtocol.Violation e) {
            fail(e, true);
        } catch (IOException e) {
            fail(e, false);
        } catch (RuntimeException e) {
            fail(new AgentProtocol.Violation("an unreadable frame (" + e + ")"), true);
        }
    }

    private void dispatch(AgentFrame frame) throws AgentProtocol.Violation {
        if (frame.type() == AgentProtocol.R_PONG) {
            pong(frame.id());
            return;
        }
        Call call = calls.get(frame.id());
        if (call == null) {
            late(frame);
            return;
        }
        boolean ended;
        deliveringSince = System.nanoTime();
        try {
            ended = call.onFrame(frame);
        } catch (ListenerFailed e) {
            // a listener threw: that call fails, the connection and the other calls carry on
            call.fail(new IOException("output listener failed", e.getCause()));
            ended = true;
            abandon(frame.id());
        } finally {
            deliveringSince = 0;
        }
        if (ended) {
            calls.remove(frame.id());
        }
    }

    /** A frame for no pending call: dropped if we gave the call up, else the agent is lying. */
    private void late(AgentFrame frame) throws AgentProtocol.Violation {
        synchronized (abandoned) {
            if (abandoned.contains(frame.id())) {
                byte t = frame.type();
                if (t == AgentProtocol.R_EXIT || t == AgentProtocol.R_ERROR || t == AgentProtocol.R_DONE) {
                    abandoned.remove(frame.id());
                }
                return;
            }
        }
        throw new AgentProtocol.Violation(issued(frame.id())
                ? "frame type " + typeName(frame.type()) + " after its request " + frame.id() + " had ended"
                : "frame type " + typeName(frame.type()) + " for request id " + frame.id() + ", which was never used");
    }

    private void pong(int id) throws AgentProtocol.Violation {
        synchronized (pingLock) {
            if (pingSentAt == 0 || id != pingId) {
                throw new AgentProtocol.Violation("PONG for " + id + ", which is no pending PING");
            }
            pingSentAt = 0;
        }
    }

    /**
     * Called by the watchdog: fails the connection when a write is stuck past the deadline or a PING is unanswered
     * past the silence limit; sends a PING every interval while calls are pending. Never blocks.
     */
    void checkHealth(long now) {
        if (broken != null) {
            AgentWatchdog.forget(this);
            return;
        }
        long stalled = writer.stalledNanos(now);
        if (stalled > options.writeDeadline().toNanos()) {
            fail(new Unresponsive("took no data for " + seconds(stalled)), true);
            return;
        }
        int ping;
        synchronized (pingLock) {
            if (pingSentAt != 0) {
                if (deliveringSince != 0 || stalled > 0) {
                    // Our own listener is slow (the answer may be queued behind), or the PING is not even written
                    // yet (the write deadline judges that): not the agent's silence.
                    pingSentAt = now;
                    return;
                }
                if (now - pingSentAt <= options.silenceLimit().toNanos()) {
                    return;
                }
                ping = 0;
            } else if (hello == null || calls.isEmpty() || now - lastPingAt < options.pingInterval().toNanos()) {
                return; // idle connections are not pinged: a frozen agent is found by the next call
            } else {
                ping = pingId = nextId();
                pingSentAt = lastPingAt = now;
            }
        }
        if (ping == 0) {
            fail(new Unresponsive("did not answer for " + seconds(options.silenceLimit().toNanos())), true);
        } else {
            sendUrgentQuietly(new AgentFrame(AgentProtocol.PING, ping, null));
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** Closes the connection (idempotent): the writer stops, the stream is closed, every pending call fails. */
    private void fail(IOException cause, boolean agentToBlame) {
        synchronized (this) {
            if (broken != null) {
                return;
            }
            broken = cause;
            if (agentToBlame) {
                fault = cause;
            }
        }
        if (agentToBlame) {
            LOG.warn("The agent of sandbox '{}' {}; its connection is closed", sandbox, describe(cause));
        }
        AgentWatchdog.forget(this);
        writer.fail(cause);
        for (Integer id : calls.keySet()) {
            Call call = calls.remove(id);
            if (call != null) {
                call.fail(cause);
            }
        }
        try {
            resource.close(); // ends the reader's read and a write blocked in the writer
        } catch (IOException ignored) {
            // best effort; the threads end when the stream does
        }
    }

    private static String typeName(byte type) {
        return String.format("0x%02x", type & 0xff);
    }

    private static long millis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long nanos(Duration d) {
        try {
            return Math.min(d.toNanos(), MAX_WAIT_NANOS);
        } catch (ArithmeticException e) {
            return MAX_WAIT_NANOS;
        }
    }

    /** start + the durations, saturated: a wait of a century or more is no deadline, never an overflow. */
    private static long deadlineAfter(long start, Duration... ds) {
        long total = 0;
        for (Duration d : ds) {
            total += nanos(d);
            if (total >= MAX_WAIT_NANOS) {
                return NO_DEADLINE;
            }
        }
        return start + total;
    }

    private static long remaining(long deadline) {
        return deadline == NO_DEADLINE ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    }

    /** The agent stopped taking data or answering: the sandbox's fault, like a violation. */
    static final class Unresponsive extends IOException {
        Unresponsive(String message) {
            super(message);
        }
    }

    /** A listener of the caller threw: that call fails, the connection is fine. */
    private static final class ListenerFailed extends RuntimeException {
        ListenerFailed(RuntimeException cause) {
            super(cause);
        }
    }

    /** A request waiting for frames. {@code onFrame} runs on the reader thread and says whether the call ended. */
    abstract static class Call {
        /** Its last frame came (set before the caller is woken, so it does not count the call as abandoned). */
        volatile boolean ended;

        abstract boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation;

        abstract void fail(IOException cause);

        static AgentProtocol.Violation unexpected(AgentFrame frame, String call) {
            return new AgentProtocol.Violation("frame type " + typeName(frame.type()) + " in answer to " + call);
        }
    }

    private static final class HelloCall extends Call {
        final CompletableFuture<AgentProtocol.Hello> result = new CompletableFuture<>();

        @Override
        boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation {
            if (frame.type() != AgentProtocol.R_HELLO) {
                throw unexpected(frame, "HELLO");
            }
            AgentProtocol.Hello hello = AgentProtocol.Hello.decode(frame.payload());
            ended = true;
            result.complete(hello);
            return true;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }

    private static final class ExecCall extends Call {
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final BiConsumer<OutputChunk.Stream, byte[]> sink;
        final long maxPerStream;
        long stdout;
        long stderr;
        // stdin flow control, guarded by this
        long stdinSent;
        long stdinAcked;
        boolean stdinStopped;

        ExecCall(BiConsumer<OutputChunk.Stream, byte[]> sink, long maxPerStream) {
            this.sink = sink;
            this.maxPerStream = maxPerStream;
        }

        @Override
        boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation {
            byte[] p = frame.payload();
            switch (frame.type()) {
                case AgentProtocol.R_STDOUT -> {
                    stdout = counted(stdout, p.length, "stdout");
                    deliver(OutputChunk.Stream.STDOUT, p);
                }
                case AgentProtocol.R_STDERR -> {
                    stderr = counted(stderr, p.length, "stderr");
                    deliver(OutputChunk.Stream.STDERR, p);
                }
                case AgentProtocol.R_STDIN_ACK -> acknowledged(AgentProtocol.StdinAck.decode(p));
                case AgentProtocol.R_EXIT -> {
                    AgentProtocol.Exit exit = AgentProtocol.Exit.decode(p);
                    ended = true;
                    result.complete(exit);
                    stopStdin();
                    return true;
                }
                case AgentProtocol.R_ERROR -> {
                    AgentProtocol.Error error = AgentProtocol.Error.decode(p);
                    ended = true;
                    result.complete(error);
                    stopStdin();
                    return true;
                }
                default -> throw unexpected(frame, "EXEC");
            }
            return false;
        }

        /** The agent caps each stream at the request's maximum; more is a lie, not output. */
        private long counted(long sofar, int more, String stream) throws AgentProtocol.Violation {
            long total = sofar + more;
            if (total > maxPerStream) {
                throw new AgentProtocol.Violation(total + " bytes of " + stream + ", over the cap of " + maxPerStream);
            }
            return total;
        }

        private void deliver(OutputChunk.Stream stream, byte[] p) {
            try {
                sink.accept(stream, p);
            } catch (RuntimeException e) {
                throw new ListenerFailed(e);
            }
        }

        private synchronized void acknowledged(AgentProtocol.StdinAck ack) throws AgentProtocol.Violation {
            if (ack.consumed() < stdinAcked || ack.consumed() > stdinSent) {
                throw new AgentProtocol.Violation("STDIN_ACK of " + ack.consumed() + " bytes (sent " + stdinSent
                        + ", acknowledged before " + stdinAcked + ")");
            }
            stdinAcked = ack.consumed();
            stdinStopped |= ack.closed();
            notifyAll();
        }

        /**
         * Waits until {@code len} more bytes fit in the agent's window, then counts them as sent (before they are,
         * so an acknowledgement can never exceed the count). False when stdin is no longer wanted or time is up.
         */
        synchronized boolean reserveWindow(int len, long deadline) throws InterruptedException {
            while (!stdinStopped && stdinSent - stdinAcked + len > AgentProtocol.STDIN_WINDOW) {
                long left = remaining(deadline);
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.SECONDS.toNanos(60)));
            }
            if (stdinStopped) {
                return false;
            }
            stdinSent += len;
            return true;
        }

        synchronized boolean stdinWanted() {
            return !stdinStopped;
        }

        synchronized void stopStdin() {
            stdinStopped = true;
            notifyAll();
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
            stopStdin();
        }
    }

    /** DSTART (DONE = pid), DLIST (DINFO records), DLOGS (DLOG bytes up to the caller's maximum), DKILL. */
    private static final class DetachedCall extends Call {
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final byte type;
        final long maxData;
        final java.util.List<AgentProtocol.DetachedInfo> infos = new java.util.ArrayList<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        Object outcome;

        DetachedCall(byte type, long maxData) {
            this.type = type;
            this.maxData = maxData;
        }

        @Override
        boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation {
            byte[] p = frame.payload();
            switch (frame.type()) {
                case AgentProtocol.R_DETACHED_INFO -> {
                    if (type != AgentProtocol.DETACHED_LIST || infos.size() >= 4096) {
                        throw unexpected(frame, "a detached request");
                    }
                    infos.add(AgentProtocol.DetachedInfo.decode(p));
                }
                case AgentProtocol.R_DETACHED_LOG -> {
                    if (type != AgentProtocol.DETACHED_LOGS || data.size() + (long) p.length > maxData) {
                        throw new AgentProtocol.Violation("detached output beyond the " + maxData + " bytes kept");
                    }
                    data.write(p, 0, p.length);
                }
                case AgentProtocol.R_DONE -> {
                    long value = AgentProtocol.decodeDone(p);
                    if (type == AgentProtocol.DETACHED_LOGS && value != data.size()
                            || type == AgentProtocol.DETACHED_LIST && value != infos.size()) {
                        throw new AgentProtocol.Violation("DONE says " + value + " after a detached answer that differs");
                    }
                    ended = true;
                    result.complete(value);
                    return true;
                }
                case AgentProtocol.R_ERROR -> {
                    ended = true;
                    result.complete(AgentProtocol.Error.decode(p));
                    return true;
                }
                default -> throw unexpected(frame, "a detached request");
            }
            return false;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }

    /** FREAD (up to the caller's maximum), FWRITE and FDELETE (no data may come). */
    private static final class FileCall extends Call {
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        final String path;
        final boolean reading;
        final long limit;

        FileCall(String path, boolean reading, long limit) {
            this.path = path;
            this.reading = reading;
            this.limit = limit;
        }

        @Override
        boolean onFrame(AgentFrame frame) throws AgentProtocol.Violation {
            byte[] p = frame.payload();
            switch (frame.type()) {
                case AgentProtocol.R_FILE_DATA -> {
                    if (!reading) {
                        throw unexpected(frame, "a file write or delete");
                    }
                    if (data.size() + (long) p.length > limit) {
                        // The agent checks the size and stops at the limit; more is a lie. The caller learns the
                        // file is too large, and nothing beyond the limit is kept.
                        result.completeExceptionally(new AgentKernelException.TooLargeException("File '" + path
                                + "' is larger than the limit of " + limit + " bytes"));
                        throw new AgentProtocol.Violation("more file data than the " + limit + " bytes asked for");
                    }
                    data.write(p, 0, p.length);
                }
                case AgentProtocol.R_DONE -> {
                    long size = AgentProtocol.decodeDone(p);
                    if (reading && size != data.size()) {
                        throw new AgentProtocol.Violation("DONE says " + size + " bytes, " + data.size() + " came");
                    }
                    ended = true;
                    result.complete(size);
                    return true;
                }
                case AgentProtocol.R_ERROR -> {
                    AgentProtocol.Error error = AgentProtocol.Error.decode(p);
                    ended = true;
                    result.complete(error);
                    return true;
                }
                default -> throw unexpected(frame, "a file request");
            }
            return false;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }
}
