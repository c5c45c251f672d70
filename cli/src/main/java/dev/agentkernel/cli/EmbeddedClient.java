package dev.agentkernel.cli;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.api.AuditEvent;
import dev.agentkernel.api.BackendHealth;
import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.Cancellation;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.LogQuery;
import dev.agentkernel.api.PoolStats;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.core.image.ImageResolver;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Runs everything in this process through the {@link AgentKernel} facade; closing it closes the kernel. */
public final class EmbeddedClient implements SandboxClient {
    private final AgentKernel kernel;

    public EmbeddedClient(AgentKernel kernel) {
        this.kernel = kernel;
    }

    /** The kernel, for commands that serve it to others ({@code serve}). */
    public AgentKernel kernel() {
        return kernel;
    }

    @Override
    public String target() {
        return "embedded";
    }

    @Override
    public RunResult run(RunRequest request, RunListener listener, Cancellation cancellation) {
        return kernel.runStreaming(request, listener, cancellation);
    }

    @Override
    public Optional<ImageResolver.Choice> resolveImage(List<String> argv, Path projectDir) {
        return Optional.of(kernel.resolveImage(argv, projectDir));
    }

    @Override
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        return kernel.batch(requests);
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return kernel.create(spec);
    }

    @Override
    public SandboxInfo get(String name) {
        return kernel.get(name);
    }

    @Override
    public List<SandboxInfo> list() {
        return kernel.list();
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        return kernel.execStreaming(name, request, listener, cancellation);
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
    public void remove(String name) {
        kernel.remove(name);
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
    public String deleteFile(String name, String path) {
        return kernel.deleteFile(name, path);
    }

    @Override
    public List<AuditEvent> logs(String name, LogQuery query) {
        return kernel.logs(name, query);
    }

    @Override
    public PoolStats pool() {
        return kernel.poolStats();
    }

    @Override
    public BackendHealth health() {
        return kernel.health();
    }

    @Override
    public void close() {
        kernel.close();
    }
}
