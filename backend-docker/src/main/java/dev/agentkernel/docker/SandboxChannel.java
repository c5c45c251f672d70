package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.DetachedCommand;
import java.util.List;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;
import dev.agentkernel.api.PortListener;
import dev.agentkernel.api.PortStream;
import dev.agentkernel.api.PtyListener;
import dev.agentkernel.api.PtyRequest;
import dev.agentkernel.api.PtySession;

/**
 * How commands and file operations reach one running sandbox: through its in-sandbox agent
 * ({@link AgentChannel}) or through {@code docker exec} ({@link DockerExecChannel}). Which one a sandbox uses is
 * decided when it is created and recorded in its labels; {@link SandboxChannels} hands out the matching channel,
 * so {@link DockerBackend} never asks which transport it talks to.
 *
 * <p>Both implementations give the same results and the same error codes for the same request (the backend
 * contract test runs on both): paths arrive validated and normalised, a missing sandbox is NOT_FOUND, a stopped
 * one CONFLICT, a symbolic link as the last component is refused, writes are atomic.
 */
interface SandboxChannel {
    /** Runs a command; see {@link dev.agentkernel.core.Backend#exec}. */
    ExecResult exec(ExecRequest request, OutputListener listener, Cancellation cancellation);

    /** Reads a regular file of at most {@code maxBytes} (PAYLOAD_TOO_LARGE beyond); {@code path} is validated. */
    FileContent readFile(String path, long maxBytes);

    /** Writes a file atomically, parents created; never through a link as the last component. */
    void writeFile(FileContent file);

    /** Deletes a file (a link itself, never its target); {@code path} is validated. */
    void deleteFile(String path);

    /** A terminal; see {@link dev.agentkernel.core.Backend#openPty}. Only the agent can open one in the sandbox. */
    default PtySession openPty(PtyRequest request, PtyListener listener) {
        throw new AgentKernelException.UnsupportedException("This sandbox runs commands through docker exec, which "
                + "opens no terminals: they need the in-sandbox agent (docker.exec=auto or agent)");
    }

    /**
     * A TCP connection to {@code 127.0.0.1:port} in the sandbox; see {@link dev.agentkernel.core.Backend#openPort}.
     * Only the agent, which lives in the sandbox's network namespace, can make one (without any network).
     */
    default PortStream openPort(int port, PortListener listener) {
        throw new AgentKernelException.UnsupportedException("This sandbox runs commands through docker exec, which "
                + "cannot reach its ports: they need the in-sandbox agent (docker.exec=auto or agent)");
    }

    // ---- detached commands: only the agent keeps them (docker exec has nobody in the sandbox to own them)

    /** Starts a detached command under {@code id}; see {@link dev.agentkernel.core.Backend#execDetached}. */
    default DetachedCommand execDetached(String id, ExecRequest request) {
        throw noDetached();
    }

    /** The detached commands, oldest first. */
    default List<DetachedCommand> detachedList() {
        throw noDetached();
    }

    default byte[] detachedLogs(String id, DetachedCommand.Stream stream) {
        throw noDetached();
    }

    default DetachedCommand detachedKill(String id) {
        throw noDetached();
    }

    private AgentKernelException noDetached() {
        return new AgentKernelException.UnsupportedException("This sandbox runs commands through docker exec, which "
                + "cannot keep detached commands: they need the in-sandbox agent (docker.exec=auto or agent)");
    }
}
