package dev.agentkernel.docker;

import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.OutputListener;

/** A sandbox reached through {@code docker exec}: commands by {@link ContainerExec}, files by {@link SandboxFiles}. */
final class DockerExecChannel implements SandboxChannel {
    private final ContainerExec execs;
    private final SandboxFiles files;
    private final String containerId;
    private final String name;

    DockerExecChannel(ContainerExec execs, SandboxFiles files, String containerId, String name) {
        this.execs = execs;
        this.files = files;
        this.containerId = containerId;
        this.name = name;
    }

    @Override
    public ExecResult exec(ExecRequest request, OutputListener listener, Cancellation cancellation) {
        return execs.run(containerId, request, listener, cancellation, this::problem);
    }

    @Override
    public FileContent readFile(String path, long maxBytes) {
        return files.read(containerId, name, path, maxBytes, this::problem);
    }

    @Override
    public void writeFile(FileContent file) {
        files.write(containerId, name, file, this::problem);
    }

    @Override
    public void deleteFile(String path) {
        files.delete(containerId, name, path, this::problem);
    }

    /** The container went away (404) or stopped (409) between our look at it and the exec. */
    private AgentKernelException problem(int status, String message) {
        return status == 404 ? AgentKernelException.sandboxNotFound(name) : SandboxContainers.notRunning(name);
    }
}
