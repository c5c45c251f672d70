package dev.agentkernel.cli;

import dev.agentkernel.api.AgentKernelException;
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
import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.core.image.ImageResolver;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The commands against a running server, through the client SDK ({@link AgentKernelClient}). */
public final class RemoteClient implements SandboxClient {
    private final String url;
    private final AgentKernelClient client;

    public RemoteClient(String url, String apiKey) {
        this.url = url;
        try {
            this.client = AgentKernelClient.builder().baseUrl(url).apiKey(apiKey).build();
        } catch (IllegalArgumentException e) {
            throw new AgentKernelException.InvalidRequestException("Invalid --url '" + url + "': " + e.getMessage());
        }
    }

    @Override
    public String target() {
        return url;
    }

    @Override
    public RunResult run(RunRequest r, RunListener listener, Cancellation cancellation) {
        return client.runStreaming(r, listener, cancellation);
    }

    @Override
    public Optional<ImageResolver.Choice> resolveImage(List<String> argv, Path projectDir) {
        return Optional.empty(); // the server resolves images itself
    }

    @Override
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        return client.batch(requests);
    }

    @Override
    public SandboxInfo create(SandboxSpec spec) {
        return client.create(spec);
    }

    @Override
    public SandboxInfo get(String name) {
        return client.get(name);
    }

    @Override
    public List<SandboxInfo> list() {
        return client.list();
    }

    @Override
    public ExecResult exec(String name, ExecRequest r, RunListener listener, Cancellation cancellation) {
        return client.execStreaming(name, r, listener, cancellation);
    }

    @Override
    public SandboxInfo start(String name) {
        return client.start(name);
    }

    @Override
    public SandboxInfo stop(String name) {
        return client.stop(name);
    }

    @Override
    public void remove(String name) {
        client.remove(name);
    }

    @Override
    public FileContent readFile(String name, String path) {
        return client.readFile(name, path);
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        return client.writeFile(name, path, content);
    }

    @Override
    public String deleteFile(String name, String path) {
        return client.deleteFile(name, path);
    }

    @Override
    public List<AuditEvent> logs(String name, LogQuery query) {
        return client.logs(name, query);
    }

    @Override
    public PoolStats pool() {
        return client.poolStats();
    }

    @Override
    public BackendHealth health() {
        return client.health();
    }

    @Override
    public void close() {
        client.close();
    }
}
