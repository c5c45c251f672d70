package dev.agentkernel.mcp;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxKind;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The tools' operations on an in-process {@link AgentKernel}. Closing closes the kernel (temporaries are reaped). */
public final class EmbeddedSandboxes implements SandboxOperations {
    private final AgentKernel kernel;
    private final String backendId;

    public EmbeddedSandboxes(AgentKernel kernel, String backendId) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.backendId = backendId == null ? "default backend" : backendId;
    }

    @Override
    public String describe() {
        return "embedded (" + backendId + ")";
    }

    @Override
    public RunResult run(RunRequest request, RunListener listener) {
        return kernel.runStreaming(request, listener, Cancellation.create());
    }

    @Override
    public SandboxInfo create(NewSandbox s) {
        AgentKernelConfig config = kernel.config();
        int vcpus = s.vcpus() != null ? s.vcpus() : config.resources().vcpus();
        int memoryMb = s.memoryMb() != null ? s.memoryMb() : config.resources().memoryMb();
        var profile = s.profile() != null ? s.profile() : config.sandbox().profile();
        return kernel.create(new SandboxSpec(s.name(), s.image(), vcpus, memoryMb, profile, s.env(), Map.of(),
                SandboxKind.NAMED));
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, RunListener listener) {
        // The kernel gives an exec without a timeout the configured one: a hung command cannot hang the tool call.
        return kernel.execStreaming(name, request, listener, Cancellation.create());
    }

    @Override
    public List<SandboxInfo> list() {
        return kernel.list();
    }

    @Override
    public void remove(String name) {
        kernel.remove(name);
    }

    @Override
    public SandboxInfo start(String name) {
        return kernel.start(name);
    }

    @Override
    public SandboxInfo stop(String name) {
        return kernel.stop(name);
    }

    @Override
    public FileContent readFile(String name, String path) {
        return kernel.readFile(name, path);
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        return kernel.writeFile(name, path, content);
    }

    @Override
    public void close() {
        kernel.close();
    }
}
