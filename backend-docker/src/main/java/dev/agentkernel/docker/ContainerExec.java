package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecCreateCmd;
import com.github.dockerjava.api.command.InspectExecResponse;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.core.OutputCollector;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.docker.engine.EngineEndpoint;
import dev.agentkernel.docker.engine.HijackedStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs processes in a container through the exec API with our own stdio stream ({@link HijackedStream}):
 * user commands (with timeout, cancellation and process-tree kill) and short helper commands (file operations,
 * the killer itself).
 *
 * <p>Every timeout is enforced here: the engine offers none for execs, and docker-java's response timeout does
 * not apply to unix sockets.
 */
final class ContainerExec implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerExec.class);
    /** Exit code reported for a killed command whose real status is unknown (128 + SIGKILL, as a shell does). */
    static final int KILLED_EXIT_CODE = 137;
    /** How long the killer may take (retrying while e.g. a fork bomb holds every pid) before we give up. */
    private static final Duration KILL_DEADLINE = Duration.ofSeconds(20);
    /** After the kill, how long the stream may take to end before the connection is dropped. */
    private static final Duration DRAIN_AFTER_KILL = Duration.ofSeconds(3);

    /**
     * Wraps every user command: reports the shell's pid (= the exec's session id, as runc makes each exec a
     * session leader) as the first stderr line, then replaces itself with the command, argv untouched.
     * Before that it makes itself (and so everything the command starts) the first choice of the OOM killer: a
     * memory or fork bomb must not take the sandbox's keep-alive process (and so the whole sandbox) with it.
     * Raising one's own oom_score_adj needs no privilege; builtins only, so it works with no pid to spare.
     */
    private static final String WRAPPER = "echo \"$$\" >&2 && { echo 1000 > /proc/self/oom_score_adj; } 2>/dev/null;"
            + " exec \"$@\"";

    private final DockerClient client;
    private final EngineEndpoint endpoint;
    private final ScheduledExecutorService timers;
    private final ExecutorService workers;
    private final SecureRandom random = new SecureRandom();

    ContainerExec(DockerClient client, EngineEndpoint endpoint) {
        this.client = client;
        this.endpoint = endpoint;
        AtomicInteger n = new AtomicInteger();
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "agentkernel-exec-timer"));
        this.workers = Executors.newCachedThreadPool(r -> daemon(r, "agentkernel-exec-" + n.incrementAndGet()));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The user of a {@code sudo} command: root of the container (its capabilities stay the profile's). */
    static final String ROOT = "0:0";

    /** The failure to map when a container cannot take an exec (gone, or not running). */
    interface ContainerProblem {
        AgentKernelException map(int status, String message);
    }

    /** Runs a user command; see {@link dev.agentkernel.core.Backend#exec}. */
    ExecResult run(String containerId, ExecRequest request, OutputListener listener, Cancellation cancellation,
                   ContainerProblem problem) {
        long started = System.nanoTime();
        String marker = HexFormat.of().formatHex(randomBytes());
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "agentkernel-exec"));
        argv.addAll(request.argv());
        List<String> env = new ArrayList<>();
        request.env().forEach((k, v) -> env.add(k + "=" + v));
        env.add(ProcessTreeKiller.MARKER_VAR + "=" + marker);
        String execId = create(containerId, argv, env, request.workdir(), request.sudo() ? ROOT : null, problem);

        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        SessionIdFilter stderr = new SessionIdFilter(collector);
        HijackedStream stream = start(execId, problem);
        Kill kill = new Kill(containerId, marker, stderr, stream);
        ScheduledFuture<?> timer = request.timeout() == null ? null
                : timers.schedule(kill::trigger, request.timeout().toNanos(), TimeUnit.NANOSECONDS);
        cancellation.onCancel(kill::trigger);
        try {
            sendStdin(stream, request.stdin());
            stream.readFrames((type, bytes, off, len) -> {
                if (type == HijackedStream.STDOUT) {
                    collector.accept(OutputChunk.Stream.STDOUT, bytes, off, len);
                } else if (type == HijackedStream.STDERR) {
                    stderr.accept(bytes, off, len);
                }
            });
        } catch (IOException e) {
            if (!kill.triggered()) {
                throw new AgentKernelException.BackendUnavailableException("Exec stream failed: " + e.getMessage(), e);
            }
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
            stream.close();
        }
        stderr.flush();
        boolean killed = kill.finish();
        if (!killed) {
            // The command ended, but processes it started in the background may live on (the engine ends the
            // exec stream when the main process exits). Sweep its session off the caller's path.
            kill.sweepLeftovers();
        }
        Long exit = exitCode(execId, killed);
        int code = exit != null ? exit.intValue() : KILLED_EXIT_CODE;
        return collector.result(killed && code == 0 ? KILLED_EXIT_CODE : code,
                Duration.ofNanos(System.nanoTime() - started), killed);
    }

    /**
     * Runs a short helper command with raw output to {@code sink}; the process is abandoned (its stream closed)
     * after {@code timeout}.
     *
     * @return the exit code, or -1 when the helper timed out or its status is unknown
     */
    int runHelper(String containerId, List<String> argv, byte[] stdin, HijackedStream.FrameSink sink, Duration timeout,
                  ContainerProblem problem) {
        String execId = create(containerId, argv, List.of(), null, null, problem);
        HijackedStream stream = start(execId, problem);
        ScheduledFuture<?> timer = timers.schedule(stream::close, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            sendStdin(stream, stdin);
            stream.readFrames(sink);
        } catch (IOException e) {
            if (timer.isDone()) {
                return -1;
            }
            throw new AgentKernelException.BackendUnavailableException("Exec stream failed: " + e.getMessage(), e);
        } finally {
            timer.cancel(false);
            stream.close();
        }
        Long exit = exitCode(execId, false);
        return exit == null ? -1 : exit.intValue();
    }

    /** {@code user} null: the container's own user; {@link #ROOT} for {@code sudo}. */
    private String create(String containerId, List<String> argv, List<String> env, String workdir, String user,
                          ContainerProblem problem) {
        try {
            ExecCreateCmd cmd = client.execCreateCmd(containerId)
                    .withCmd(argv.toArray(String[]::new))
                    .withAttachStdin(true)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withTty(false);
            if (!env.isEmpty()) {
                cmd.withEnv(env);
            }
            if (workdir != null) {
                cmd.withWorkingDir(workdir);
            }
            if (user != null) {
                cmd.withUser(user);
            }
            return cmd.exec().getId();
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            throw problem.map(404, e.getMessage());
        } catch (com.github.dockerjava.api.exception.ConflictException e) {
            throw problem.map(409, e.getMessage());
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
    }

    private HijackedStream start(String execId, ContainerProblem problem) {
        try {
            return HijackedStream.open(endpoint, "/exec/" + execId + "/start", "{\"Detach\":false,\"Tty\":false}");
        } catch (HijackedStream.RefusedException e) {
            if (e.status() == 404 || e.status() == 409) {
                throw problem.map(e.status(), e.getMessage());
            }
            throw new AgentKernelException.BackendUnavailableException("Docker refused the exec: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new AgentKernelException.BackendUnavailableException("Cannot reach the Docker engine: "
                    + e.getMessage(), e);
        }
    }

    /** Writes stdin then EOF. Large input goes from a worker so output is read meanwhile (no pipe deadlock). */
    private void sendStdin(HijackedStream stream, byte[] stdin) throws IOException {
        if (stdin == null || stdin.length == 0) {
            stream.shutdownOutput();
            return;
        }
        if (stdin.length <= 16 * 1024) {
            stream.write(stdin);
            stream.shutdownOutput();
            return;
        }
        workers.execute(() -> {
            try {
                stream.write(stdin);
                stream.shutdownOutput();
            } catch (IOException e) {
                // The process stopped reading or ended; its exit code tells the story.
                LOG.debug("stdin not fully delivered: {}", e.toString());
            }
        });
    }

    /** The exit code from exec inspect; the engine may mark the exec ended a moment after the stream closes. */
    private Long exitCode(String execId, boolean killed) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(killed ? 1 : 5);
        while (true) {
            InspectExecResponse r;
            try {
                r = client.inspectExecCmd(execId).exec();
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                return null; // the container was removed while the command ran: it was killed with it
            } catch (RuntimeException e) {
                throw DockerErrors.map(e);
            }
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) {
                return r.getExitCodeLong();
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    private byte[] randomBytes() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return b;
    }

    /** The kill of one command's tree, triggered at most once by its timeout or its cancellation. */
    private final class Kill {
        private final String containerId;
        private final String marker;
        private final SessionIdFilter session;
        private final HijackedStream stream;
        private CompletableFuture<Void> done;
        private boolean finished;

        Kill(String containerId, String marker, SessionIdFilter session, HijackedStream stream) {
            this.containerId = containerId;
            this.marker = marker;
            this.session = session;
            this.stream = stream;
        }

        void trigger() {
            synchronized (this) {
                if (done != null || finished) {
                    return;
                }
                done = CompletableFuture.runAsync(this::killTree, workers);
            }
        }

        /** After a normal end: kills what is left of the command's session and marker, asynchronously. */
        void sweepLeftovers() {
            if (session.sessionId() == null) {
                return;
            }
            CompletableFuture.runAsync(this::killTree, workers).exceptionally(e -> {
                LOG.debug("sweep after exec {} failed: {}", marker, e.toString());
                return null;
            });
        }

        synchronized boolean triggered() {
            return done != null;
        }

        /** Called when the stream ended: waits for a started kill; prevents a late one. */
        boolean finish() {
            CompletableFuture<Void> f;
            synchronized (this) {
                finished = true;
                f = done;
            }
            if (f == null) {
                return false;
            }
            try {
                f.get(KILL_DEADLINE.toSeconds() + DRAIN_AFTER_KILL.toSeconds() + 5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("process tree kill did not complete: {}", e.toString());
            }
            return true;
        }

        private void killTree() {
            long deadline = System.nanoTime() + KILL_DEADLINE.toNanos();
            List<String> argv = ProcessTreeKiller.command(session.sessionId(), marker);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                int code;
                out.reset();
                try {
                    code = runHelper(containerId, argv, null, (t, b, o, l) -> {
                        if (out.size() < 4096) {
                            out.write(b, o, l);
                        }
                    }, Duration.ofSeconds(10), (s, m) -> new AgentKernelException.ConflictException(m));
                } catch (AgentKernelException e) {
                    // Container gone or stopped: nothing of the command can be left.
                    if (e.code() == dev.agentkernel.api.ErrorCode.CONFLICT
                            || e.code() == dev.agentkernel.api.ErrorCode.NOT_FOUND) {
                        break;
                    }
                    code = -1;
                }
                if (code == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    LOG.warn("could not confirm the kill of exec tree {} (exit {}, {})", marker, code,
                            out.toString(StandardCharsets.UTF_8).trim());
                    break;
                }
                // Typically the pids limit is exhausted so the killer itself could not start; try again.
                sleepQuietly(50);
            }
            // Everything holding the stream is dead now; give the engine a moment to end it, then cut it.
            timers.schedule(stream::close, DRAIN_AFTER_KILL.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        workers.shutdownNow();
    }
}
