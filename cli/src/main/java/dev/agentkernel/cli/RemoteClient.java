package dev.agentkernel.cli;

import dev.agentkernel.core.AgentKernelException;
import dev.agentkernel.core.AuditEvent;
import dev.agentkernel.core.BackendHealth;
import dev.agentkernel.core.BatchOutcome;
import dev.agentkernel.core.Cancellation;
import dev.agentkernel.core.ExecRequest;
import dev.agentkernel.core.ExecResult;
import dev.agentkernel.core.FileContent;
import dev.agentkernel.core.LogQuery;
import dev.agentkernel.core.PoolStats;
import dev.agentkernel.core.RunListener;
import dev.agentkernel.core.RunRequest;
import dev.agentkernel.core.RunResult;
import dev.agentkernel.core.SandboxInfo;
import dev.agentkernel.core.SandboxSpec;

import java.util.List;

/** Talks to a running agentkernel server. */
public final class RemoteClient implements SandboxClient {
    private final String url;

    public RemoteClient(String url, String apiKey) {
        this.url = url;
        throw new AgentKernelException.BackendUnavailableException("--url is not available in this build yet", null);
    }

    @Override public String target() { return url; }
    @Override public RunResult run(RunRequest r, RunListener l, Cancellation c) { throw new UnsupportedOperationException(); }
    @Override public java.util.Optional<dev.agentkernel.core.image.ImageResolver.Choice> resolveImage(List<String> a, java.nio.file.Path p) { return java.util.Optional.empty(); }
    @Override public List<BatchOutcome> batch(List<RunRequest> r) { throw new UnsupportedOperationException(); }
    @Override public SandboxInfo create(SandboxSpec s) { throw new UnsupportedOperationException(); }
    @Override public SandboxInfo get(String n) { throw new UnsupportedOperationException(); }
    @Override public List<SandboxInfo> list() { throw new UnsupportedOperationException(); }
    @Override public ExecResult exec(String n, ExecRequest r, RunListener l, Cancellation c) { throw new UnsupportedOperationException(); }
    @Override public SandboxInfo start(String n) { throw new UnsupportedOperationException(); }
    @Override public SandboxInfo stop(String n) { throw new UnsupportedOperationException(); }
    @Override public void remove(String n) { throw new UnsupportedOperationException(); }
    @Override public FileContent readFile(String n, String p) { throw new UnsupportedOperationException(); }
    @Override public FileContent writeFile(String n, String p, byte[] c) { throw new UnsupportedOperationException(); }
    @Override public String deleteFile(String n, String p) { throw new UnsupportedOperationException(); }
    @Override public List<AuditEvent> logs(String n, LogQuery q) { throw new UnsupportedOperationException(); }
    @Override public PoolStats pool() { throw new UnsupportedOperationException(); }
    @Override public BackendHealth health() { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
