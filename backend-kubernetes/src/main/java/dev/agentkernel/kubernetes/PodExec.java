package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.docker.FileScripts;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.OutputChunk;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.core.OutputCollector;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The fallback transport: commands and files through the pod's {@code exec} websocket, for images the agent cannot
 * run in. Files go through the same shell helpers as Docker's exec path ({@link FileScripts}: the agent's path rule
 * and error codes). The image needs {@code sh}, {@code env}, {@code head}, {@code mkdir}, {@code mv}, {@code rm},
 * {@code readlink}, {@code tr}, {@code grep} and {@code kill} (busybox or coreutils).
 *
 * <p>The channel protocol fabric8 speaks ({@code v4.channel.k8s.io}) cannot close a command's stdin, so stdin is
 * sent with its length and read with {@code head -c}. Environment and working directory go through {@code env} and
 * {@code cd}. Each command carries {@code AGENTKERNEL_EXEC_ID} in its environment; on timeout or cancel a second
 * exec kills every process of the sandbox that carries it (the kubelet does not end an exec's processes when its
 * stream closes).
 */
final class PodExec {
    private static final String RUN = "cd \"$1\" || exit 126; n=$2; shift 2; "
            + "if [ \"$n\" -ge 0 ]; then head -c \"$n\" | exec env \"$@\"; else exec env \"$@\" </dev/null; fi";
    private static final String KILL = "for i in 1 2 3; do for p in /proc/[0-9]*; do "
            + "tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -qx \"AGENTKERNEL_EXEC_ID=$1\" && kill -9 ${p#/proc/} "
            + "2>/dev/null; done; done; true";
    private static final Duration FILE_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration KILL_GRACE = Duration.ofSeconds(20);

    private final KubernetesClient client;
    private final String namespace;

    PodExec(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    ExecResult exec(String pod, ExecRequest request, OutputListener listener, Cancellation cancellation) {
        long started = System.nanoTime();
        String marker = UUID.randomUUID().toString();
        List<String> argv = new ArrayList<>(List.of("sh", "-c", RUN, "agentkernel-exec",
                request.workdir() == null ? "." : request.workdir(),
                Integer.toString(request.stdin() == null ? -1 : request.stdin().length),
                "AGENTKERNEL_EXEC_ID=" + marker));
        request.env().forEach((k, v) -> argv.add(k + "=" + v));
        argv.addAll(request.argv());
        OutputCollector collector = new OutputCollector(request.maxOutputBytes(), listener);
        Duration timeout = request.timeout();
        Integer code = run(pod, argv, request.stdin(), sink(collector, OutputChunk.Stream.STDOUT),
                sink(collector, OutputChunk.Stream.STDERR), timeout, cancellation);
        boolean killed = code == null;
        if (killed) {
            run(pod, List.of("sh", "-c", KILL, "agentkernel-kill", marker), null, OutputStream.nullOutputStream(),
                    OutputStream.nullOutputStream(), KILL_GRACE, Cancellation.create());
        }
        return collector.result(killed ? 137 : code, Duration.ofNanos(System.nanoTime() - started), killed);
    }

    byte[] readFile(String pod, String sandbox, String path, long maxBytes) {
        long max = Math.min(maxBytes, Integer.MAX_VALUE - 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Integer code = run(pod, FileScripts.read(path, max), null, out, err, FILE_TIMEOUT, Cancellation.create());
        check(code, sandbox, path, err, "read");
        if (out.size() > max) {
            throw new AgentKernelException.TooLargeException("File '" + path + "' in sandbox '" + sandbox
                    + "' is larger than the limit of " + max + " bytes");
        }
        return out.toByteArray();
    }

    void writeFile(String pod, String sandbox, String path, byte[] content) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Integer code = run(pod, FileScripts.write(path, content.length), content, OutputStream.nullOutputStream(), err,
                FILE_TIMEOUT, Cancellation.create());
        check(code, sandbox, path, err, "write");
    }

    void deleteFile(String pod, String sandbox, String path) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Integer code = run(pod, FileScripts.delete(path), null, OutputStream.nullOutputStream(), err, FILE_TIMEOUT,
                Cancellation.create());
        check(code, sandbox, path, err, "delete");
    }

    /** The same errors as the agent's and Docker's exec path ({@link FileScripts#failure}). */
    private static void check(Integer code, String sandbox, String path, ByteArrayOutputStream err, String verb) {
        if (code == null) {
            throw new AgentKernelException.OperationTimeoutException("File " + verb + " of '" + path + "' in sandbox '"
                    + sandbox + "' timed out");
        }
        AgentKernelException failure = FileScripts.failure(code, err.toString(StandardCharsets.UTF_8), sandbox, path,
                verb);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Runs argv over pod exec; the exit code, or null when it timed out or was cancelled (the stream is then closed;
     * the caller kills what was started).
     */
    private Integer run(String pod, List<String> argv, byte[] stdin, OutputStream out, OutputStream err,
                        Duration timeout, Cancellation cancellation) {
        var op = client.pods().inNamespace(namespace).withName(pod).inContainer(PodSpecs.CONTAINER);
        ExecWatch watch;
        try {
            watch = (stdin != null ? op.redirectingInput() : op).writingOutput(out).writingError(err)
                    .exec(argv.toArray(String[]::new));
        } catch (KubernetesClientException e) {
            throw KubeErrors.map(e);
        }
        try (watch) {
            cancellation.onCancel(watch::close);
            if (stdin != null) {
                OutputStream in = new PodAgents.MessageSized(watch.getInput());
                in.write(stdin);
                in.flush();
            }
            var exit = watch.exitCode();
            Integer code = timeout == null ? exit.get() : exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return cancellation.isCancelled() ? null : code;
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException | IOException e) {
            if (cancellation.isCancelled()) {
                return null;
            }
            throw new AgentKernelException.BackendUnavailableException("pod exec in " + pod + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static OutputStream sink(OutputCollector collector, OutputChunk.Stream stream) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                collector.accept(stream, b, off, len);
            }
        };
    }
}
