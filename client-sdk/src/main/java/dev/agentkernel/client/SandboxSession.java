package dev.agentkernel.client;

import java.util.List;

/**
 * A named sandbox that lives as long as this object: {@link #close()} removes it (a sandbox already gone is
 * fine). Use with try-with-resources so the sandbox is removed even when the block throws:
 *
 * <pre>{@code
 * try (SandboxSession box = client.sandbox("job-42", SandboxSpec.image("python:3.12-alpine"))) {
 *     box.writeFile("/workspace/main.py", "print('hi')");
 *     ExecResult r = box.exec("python3", "/workspace/main.py");
 * }
 * }</pre>
 */
public final class SandboxSession implements AutoCloseable {
    private final AgentKernelClient client;
    private final String name;
    private boolean closed;

    SandboxSession(AgentKernelClient client, String name) {
        this.client = client;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public SandboxInfo info() {
        return client.get(name);
    }

    public ExecResult exec(String... command) {
        return client.exec(name, command);
    }

    public ExecResult exec(ExecRequest request) {
        return client.exec(name, request);
    }

    public EventStream execStream(ExecRequest request) {
        return client.execStream(name, request);
    }

    public StreamEvent execStream(ExecRequest request, StreamListener listener) {
        return client.execStream(name, request, listener);
    }

    public String writeFile(String path, String content) {
        return client.writeFile(name, path, content);
    }

    public String writeFile(String path, byte[] content) {
        return client.writeFile(name, path, content);
    }

    public String readFile(String path) {
        return client.readFile(name, path);
    }

    public byte[] readFileBytes(String path) {
        return client.readFileBytes(name, path);
    }

    public String deleteFile(String path) {
        return client.deleteFile(name, path);
    }

    public List<AuditEntry> logs() {
        return client.logs(name);
    }

    public void stop() {
        client.stop(name);
    }

    public void start() {
        client.start(name);
    }

    /** Removes the sandbox. Idempotent; a sandbox someone else already removed is not an error. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            client.remove(name);
        } catch (NotFoundException alreadyGone) {
            // The goal of close is reached.
        }
    }
}
