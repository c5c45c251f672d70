package dev.agentkernel.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A named sandbox bound to the {@link Sandboxes} that made it: {@link #close()} removes it (one already gone is
 * fine). Use with try-with-resources so the sandbox is removed even when the block throws:
 *
 * <pre>{@code
 * try (SandboxSession box = sandboxes.session(SandboxSpec.named("job-42", "python:3.12-alpine"))) {
 *     box.writeFile("/workspace/main.py", "print('hi')");
 *     ExecResult r = box.exec("python3", "/workspace/main.py");
 * }
 * }</pre>
 */
public final class SandboxSession implements AutoCloseable {
    private final Sandboxes sandboxes;
    private final String name;
    private boolean closed;

    SandboxSession(Sandboxes sandboxes, String name) {
        this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes");
        this.name = Validation.sandboxName(name);
    }

    public String name() {
        return name;
    }

    public SandboxInfo info() {
        return sandboxes.get(name);
    }

    public ExecResult exec(String... command) {
        return sandboxes.exec(name, command);
    }

    public ExecResult exec(ExecRequest request) {
        return sandboxes.exec(name, request);
    }

    public ExecResult execStreaming(ExecRequest request, RunListener listener, Cancellation cancellation) {
        return sandboxes.execStreaming(name, request, listener, cancellation);
    }

    /** Writes UTF-8 text. */
    public FileContent writeFile(String path, String text) {
        return writeFile(path, text.getBytes(StandardCharsets.UTF_8));
    }

    public FileContent writeFile(String path, byte[] content) {
        return sandboxes.writeFile(name, path, content);
    }

    public FileContent readFile(String path) {
        return sandboxes.readFile(name, path);
    }

    public String deleteFile(String path) {
        return sandboxes.deleteFile(name, path);
    }

    public List<AuditEvent> logs() {
        return sandboxes.logs(name, LogQuery.ALL);
    }

    public SandboxInfo stop() {
        return sandboxes.stop(name);
    }

    public SandboxInfo start() {
        return sandboxes.start(name);
    }

    /** Removes the sandbox. Idempotent; a sandbox someone else already removed is not an error. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            sandboxes.remove(name);
        } catch (AgentKernelException.NotFoundException alreadyGone) {
            // The goal of close is reached.
        }
    }
}
