package dev.agentkernel.docker.agent;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;

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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Talks to one {@code agentkernel-agent} over a byte stream pair (a container's attached stdio, or a local
 * process's pipes in tests). Any number of calls may run at once on one connection: each has its own request
 * id, and one reader thread hands incoming frames to the call they belong to. Thread-safe.
 *
 * <p>Timeouts are enforced by the agent (it kills the command's whole tree, see the kill rule in the agent's C
 * source); this client adds a backstop so a stuck agent can never hang a caller: {@link #BACKSTOP} after the command's own timeout it sends a kill,
 * and if the agent still does not answer the call fails with {@code BACKEND_UNAVAILABLE}.
 */
public final class AgentClient implements AutoCloseable {
    /**
     * Extra time granted to the agent beyond a command's timeout before the client steps in (and again after its
     * kill). Generous on purpose: stopping and killing a fork bomb that holds ~1000 pids on 2 busy cores took longer
     * than 5 s in CI; the docker-exec path's killer gets 20 s too.
     */
    public static final Duration BACKSTOP = Duration.ofSeconds(20);
    private static final Duration FILE_OP_TIMEOUT = Duration.ofSeconds(60);

    private final String sandbox;
    private final DataInputStream in;
    private final OutputStream out;
    private final Closeable resource;
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    /** Random start: frames meant for another client attached to the same agent do not match our ids. */
    private final AtomicInteger ids = new AtomicInteger(new SecureRandom().nextInt());
    private final Thread reader;
    private volatile IOException broken;
    private volatile AgentProtocol.Hello hello;

    private AgentClient(String sandbox, InputStream in, OutputStream out, Closeable resource) {
        this.sandbox = sandbox;
        this.in = AgentFrame.buffered(in);
        this.out = out;
        this.resource = resource;
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
        AgentClient client = new AgentClient(sandbox, in, out, resource);
        client.reader.start();
        try {
            HelloCall call = new HelloCall();
            call.id = client.nextId();
            client.call(call, new AgentFrame(AgentProtocol.HELLO, call.id, AgentProtocol.hello()));
            AgentProtocol.Hello hello = client.await(call.result, timeout, call.id, "agent handshake");
            if (hello.version() != AgentProtocol.VERSION) {
                throw new AgentKernelException.BackendUnavailableException("sandbox agent speaks protocol "
                        + hello.version() + ", expected " + AgentProtocol.VERSION, null);
            }
            client.hello = hello;
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

    public ExecResult exec(ExecRequest request, OutputListener listener, Cancellation cancellation) {
        long started = System.nanoTime();
        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        ExecCall call = new ExecCall(collector);
        int id = nextId();
        call.id = id;
        byte[] stdin = request.stdin();
        boolean stdinFollows = stdin != null && stdin.length > 0;
        long timeoutMs = request.timeout() == null ? 0 : Math.max(1, request.timeout().toMillis());
        call(call, new AgentFrame(AgentProtocol.EXEC, id, AgentProtocol.exec(request.argv(), request.env(),
                request.workdir(), timeoutMs, request.maxOutputBytes(), stdinFollows)));
        Runnable kill = () -> sendQuietly(new AgentFrame(AgentProtocol.KILL, id, null));
        cancellation.onCancel(kill);
        if (stdinFollows) {
            for (int off = 0; off < stdin.length && !call.result.isDone(); off += AgentProtocol.CHUNK) {
                int end = Math.min(stdin.length, off + AgentProtocol.CHUNK);
                send(new AgentFrame(AgentProtocol.STDIN, id, Arrays.copyOfRange(stdin, off, end)));
            }
            send(new AgentFrame(AgentProtocol.STDIN, id, null));
        }
        AgentProtocol.Exit exit;
        Object outcome;
        try {
            outcome = request.timeout() == null ? awaitForever(call.result, id)
                    : awaitOrKill(call.result, request.timeout().plus(BACKSTOP), id, kill);
        } finally {
            calls.remove(id);
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - started);
        if (outcome instanceof AgentProtocol.Error error) {
            return spawnFailure(request, error, collector, duration);
        }
        exit = (AgentProtocol.Exit) outcome;
        if (exit.has(AgentProtocol.EXIT_TRUNCATED)) {
            collector.markTruncated();
        }
        boolean killed = exit.has(AgentProtocol.EXIT_TIMED_OUT) || exit.has(AgentProtocol.EXIT_CANCELLED)
                || cancellation.isCancelled();
        return collector.result(exit.exitCode(), duration, killed);
    }

    /**
     * The command could not be started. Like a shell (and Docker's exec), a missing program is exit 127 and any
     * other start failure 126 (a bad workdir, a full pids limit), with the reason on stderr.
     */
    private static ExecResult spawnFailure(ExecRequest request, AgentProtocol.Error error, OutputCollector collector,
                                           Duration duration) {
        if (error.stage() == AgentProtocol.STAGE_PROTOCOL) {
            throw new AgentKernelException.BackendUnavailableException("sandbox agent refused the command: "
                    + error.message(), null);
        }
        int code = error.stage() == AgentProtocol.STAGE_EXEC && error.errno() == AgentProtocol.ENOENT ? 127 : 126;
        String what = switch (error.stage()) {
            case AgentProtocol.STAGE_CHDIR -> "cannot enter workdir ";
            case AgentProtocol.STAGE_SPAWN -> "cannot start the command: ";
            default -> "cannot run ";
        };
        byte[] message = ("agentkernel: " + what + error.message() + "\n").getBytes(StandardCharsets.UTF_8);
        collector.accept(OutputChunk.Stream.STDERR, message);
        return collector.result(code, duration, false);
    }

    /** Reads a regular file; {@code maxBytes} over is PAYLOAD_TOO_LARGE. */
    public byte[] readFile(String path, long maxBytes) {
        FileCall call = new FileCall();
        int id = nextId();
        call.id = id;
        try {
            call(call, new AgentFrame(AgentProtocol.FILE_READ, id, AgentProtocol.fileRead(path, maxBytes)));
            Object outcome = await(call.result, FILE_OP_TIMEOUT, id, "file read");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "read", path, sandbox);
            }
            return call.data.toByteArray();
        } finally {
            calls.remove(id);
        }
    }

    /** Writes a file atomically (temporary file renamed over the target), creating parent directories. */
    public void writeFile(String path, byte[] content) {
        FileCall call = new FileCall();
        int id = nextId();
        call.id = id;
        try {
            call(call, new AgentFrame(AgentProtocol.FILE_WRITE, id, AgentProtocol.fileWrite(path, 0644)));
            for (int off = 0; off < content.length; off += AgentProtocol.CHUNK) {
                int end = Math.min(content.length, off + AgentProtocol.CHUNK);
                send(new AgentFrame(AgentProtocol.FILE_DATA, id, Arrays.copyOfRange(content, off, end)));
            }
            send(new AgentFrame(AgentProtocol.FILE_DATA, id, null));
            Object outcome = await(call.result, FILE_OP_TIMEOUT, id, "file write");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "write", path, sandbox);
            }
        } finally {
            calls.remove(id);
        }
    }

    /** Deletes a file (not a directory); a symlink itself is removed, never its target. */
    public void deleteFile(String path) {
        FileCall call = new FileCall();
        int id = nextId();
        call.id = id;
        try {
            call(call, new AgentFrame(AgentProtocol.FILE_DELETE, id, AgentProtocol.path(path)));
            Object outcome = await(call.result, FILE_OP_TIMEOUT, id, "file delete");
            if (outcome instanceof AgentProtocol.Error error) {
                throw AgentErrors.forFile(error, "delete", path, sandbox);
            }
        } finally {
            calls.remove(id);
        }
    }

    @Override
    public void close() {
        fail(new IOException("agent connection closed"));
        try {
            resource.close();
        } catch (IOException ignored) {
            // closing is best effort; the reader ends on its own when the stream closes
        }
    }

    // ---------------------------------------------------------------------------------------------

    private int nextId() {
        return ids.incrementAndGet();
    }

    private void call(Call call, AgentFrame first) {
        IOException b = broken;
        if (b != null) {
            throw lost(b);
        }
        calls.put(first.id(), call);
        send(first);
    }

    private void send(AgentFrame frame) {
        byte[] bytes = frame.encode();
        try {
            synchronized (out) {
                out.write(bytes);
                out.flush();
            }
        } catch (IOException e) {
            fail(e);
            throw lost(e);
        }
    }

    private void sendQuietly(AgentFrame frame) {
        try {
            send(frame);
        } catch (AgentKernelException ignored) {
            // the connection is gone; the caller sees that through its pending call
        }
    }

    private <T> T await(CompletableFuture<T> future, Duration timeout, int id, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            calls.remove(id);
            throw new AgentKernelException.OperationTimeoutException("The sandbox agent did not finish the " + what
                    + " in " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentKernelException.BackendUnavailableException("interrupted while waiting for the sandbox agent", e);
        }
    }

    private Object awaitForever(CompletableFuture<Object> future, int id) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sendQuietly(new AgentFrame(AgentProtocol.KILL, id, null));
            throw new AgentKernelException.BackendUnavailableException("interrupted while waiting for the command", e);
        }
    }

    /** Waits; past the deadline asks the agent to kill the command and waits a little more for its answer. */
    private Object awaitOrKill(CompletableFuture<Object> future, Duration deadline, int id, Runnable kill) {
        try {
            return future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            kill.run();
            return await(future, BACKSTOP, id, "command after its timeout");
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill.run();
            throw new AgentKernelException.BackendUnavailableException("interrupted while waiting for the command", e);
        }
    }

    private RuntimeException unwrap(ExecutionException e) {
        if (e.getCause() instanceof AgentKernelException ake) {
            return ake;
        }
        if (e.getCause() instanceof IOException io) {
            return lost(io);
        }
        return new AgentKernelException.BackendUnavailableException("sandbox agent failed", e.getCause());
    }

    private AgentKernelException lost(IOException cause) {
        return new AgentKernelException.BackendUnavailableException("Lost the connection to the agent of sandbox '"
                + sandbox + "'", cause);
    }

    private void readLoop() {
        try {
            AgentFrame frame;
            while ((frame = AgentFrame.read(in)) != null) {
                Call call = calls.get(frame.id());
                if (call == null) {
                    continue; // a call that already gave up, or another client attached to the same agent
                }
                boolean ended;
                try {
                    ended = call.onFrame(frame);
                } catch (RuntimeException e) {
                    // a listener threw: that call fails, the connection and the other calls carry on
                    call.fail(new IOException("output listener failed", e));
                    ended = true;
                }
                if (ended) {
                    calls.remove(frame.id());
                }
            }
            fail(new IOException("the sandbox agent's stream ended"));
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new IOException("agent reader failed", e));
        }
    }

    private void fail(IOException cause) {
        synchronized (this) {
            if (broken == null) {
                broken = cause;
            }
        }
        for (Integer id : calls.keySet()) {
            Call call = calls.remove(id);
            if (call != null) {
                call.fail(cause);
            }
        }
    }

    /** A request waiting for frames. {@code onFrame} runs on the reader thread and says whether the call ended. */
    private abstract static class Call {
        int id;

        abstract boolean onFrame(AgentFrame frame);

        abstract void fail(IOException cause);
    }

    private static final class HelloCall extends Call {
        final CompletableFuture<AgentProtocol.Hello> result = new CompletableFuture<>();

        @Override
        boolean onFrame(AgentFrame frame) {
            if (frame.type() == AgentProtocol.R_HELLO) {
                result.complete(AgentProtocol.Hello.decode(frame.payload()));
            } else {
                result.completeExceptionally(new IOException("unexpected answer to HELLO: " + frame.type()));
            }
            return true;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }

    private static final class ExecCall extends Call {
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final OutputCollector collector;

        ExecCall(OutputCollector collector) {
            this.collector = collector;
        }

        @Override
        boolean onFrame(AgentFrame frame) {
            switch (frame.type()) {
                case AgentProtocol.R_STDOUT -> collector.accept(OutputChunk.Stream.STDOUT, frame.payload());
                case AgentProtocol.R_STDERR -> collector.accept(OutputChunk.Stream.STDERR, frame.payload());
                case AgentProtocol.R_EXIT -> {
                    result.complete(AgentProtocol.Exit.decode(frame.payload()));
                    return true;
                }
                case AgentProtocol.R_ERROR -> {
                    result.complete(AgentProtocol.Error.decode(frame.payload()));
                    return true;
                }
                default -> {
                    // an unknown frame type from a newer agent: ignored
                }
            }
            return false;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }

    private static final class FileCall extends Call {
        final CompletableFuture<Object> result = new CompletableFuture<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();

        @Override
        boolean onFrame(AgentFrame frame) {
            switch (frame.type()) {
                case AgentProtocol.R_FILE_DATA -> data.write(frame.payload(), 0, frame.payload().length);
                case AgentProtocol.R_DONE -> {
                    result.complete(AgentProtocol.decodeDone(frame.payload()));
                    return true;
                }
                case AgentProtocol.R_ERROR -> {
                    result.complete(AgentProtocol.Error.decode(frame.payload()));
                    return true;
                }
                default -> {
                    // ignored, as above
                }
            }
            return false;
        }

        @Override
        void fail(IOException cause) {
            result.completeExceptionally(cause);
        }
    }
}
