package dev.agentkernel.cli.mcp;

import dev.agentkernel.cli.SandboxClient;
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
import dev.agentkernel.mcp.SandboxOperations;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The MCP tools' operations on the CLI's {@link SandboxClient}: embedded, or a server with {@code --url}, exactly
 * as every other command reaches sandboxes.
 */
final class ClientSandboxes implements SandboxOperations {
    private final SandboxClient client;

    ClientSandboxes(SandboxClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public String describe() {
        return client.target();
    }

    @Override
    public RunResult run(RunRequest request, RunListener listener) {
        return client.run(request, listener, Cancellation.create());
    }

    @Override
    public SandboxInfo create(NewSandbox s) {
        return client.create(new SandboxSpec(s.name(), s.image(), s.vcpus(), s.memoryMb(), s.profile(), s.env(), Map.of(),
                SandboxKind.NAMED));
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, RunListener listener) {
        return client.exec(name, request, listener, Cancellation.create());
    }

    @Override
    public List<SandboxInfo> list() {
        return client.list();
    }

    @Override
    public void remove(String name) {
        client.remove(name);
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
    public FileContent readFile(String name, String path) {
        return client.readFile(name, path);
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        return client.writeFile(name, path, content);
    }

    @Override
    public void close() {
        client.close();
    }
}
