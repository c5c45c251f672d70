package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.docker.engine.HijackedStream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * File read/write/delete on the docker exec path: the shell helpers of {@link FileScripts} run inside the sandbox
 * (so paths resolve in its own view, by the agent's rule), content through stdin (our exec stream delivers EOF).
 * Docker's archive API is not used: it resolves paths on the host side (the {@code docker cp} symlink CVEs) and
 * cannot write into the tmpfs of a read-only-root container.
 */
final class SandboxFiles {
    private static final Duration HELPER_TIMEOUT = Duration.ofMinutes(2);
    private final ContainerExec execs;

    SandboxFiles(ContainerExec execs) {
        this.execs = execs;
    }

    /** Reads at most {@code maxBytes} (a positive int-sized count) of a validated path. */
    FileContent read(String containerId, String sandbox, String p, long maxBytes,
                     ContainerExec.ContainerProblem problem) {
        Capped out = new Capped(maxBytes + 1);
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, FileScripts.read(p, maxBytes), null, (t, b, o, l) -> (t == HijackedStream.STDOUT ? out : err).write(b, o, l),
                HELPER_TIMEOUT, problem);
        check(code, sandbox, p, err, "read");
        if (out.size() > maxBytes) {
            throw new AgentKernelException.TooLargeException("File '" + p + "' in sandbox '" + sandbox
                    + "' is larger than the limit of " + maxBytes + " bytes");
        }
        return new FileContent(p, out.toByteArray());
    }

    void write(String containerId, String sandbox, FileContent file, ContainerExec.ContainerProblem problem) {
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, FileScripts.write(file.path(), file.content().length),
                file.content(), (t, b, o, l) -> err.write(b, o, l), HELPER_TIMEOUT, problem);
        check(code, sandbox, file.path(), err, "write");
    }

    /** Deletes a validated path. */
    void delete(String containerId, String sandbox, String p, ContainerExec.ContainerProblem problem) {
        Capped err = new Capped(4096);
        int code = execs.runHelper(containerId, FileScripts.delete(p), null,
                (t, b, o, l) -> err.write(b, o, l), HELPER_TIMEOUT, problem);
        check(code, sandbox, p, err, "delete");
    }

    private static void check(int code, String sandbox, String path, Capped err, String verb) {
        if (code == -1) {
            throw new AgentKernelException.OperationTimeoutException("File " + verb + " of '" + path + "' in sandbox '"
                    + sandbox + "' did not finish in " + HELPER_TIMEOUT.toSeconds() + " s");
        }
        AgentKernelException failure = FileScripts.failure(code, err.toString(), sandbox, path, verb);
        if (failure != null) {
            throw failure;
        }
    }

    /** A byte sink that keeps at most {@code cap} bytes and counts the rest. */
    private static final class Capped {
        private final long cap;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private long size;

        Capped(long cap) {
            this.cap = cap;
        }

        void write(byte[] b, int off, int len) {
            int take = (int) Math.max(0, Math.min(len, cap - buf.size()));
            buf.write(b, off, take);
            size += len;
        }

        long size() {
            return size;
        }

        byte[] toByteArray() {
            return buf.toByteArray();
        }

        @Override
        public String toString() {
            return buf.toString(StandardCharsets.UTF_8);
        }
    }
}
