package dev.agentkernel.mcp;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Opens the real operations on first use. The MCP handshake then answers at once, and an engine that is down
 * shows up as a clear error result on each call (retried on the next one) instead of a server that never starts.
 */
public final class LazySandboxes implements SandboxOperations {
    private static final Logger LOG = LoggerFactory.getLogger(LazySandboxes.class);

    private final String description;
    private final Supplier<SandboxOperations> opener;
    private SandboxOperations delegate;
    private boolean closed;

    public LazySandboxes(String description, Supplier<SandboxOperations> opener) {
        this.description = Objects.requireNonNull(description, "description");
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /**
     * Starts opening now on a background thread, so the first tool call does not wait for the engine; a failure
     * is logged and the next call tries again.
     */
    public LazySandboxes openInBackground() {
        Thread t = new Thread(() -> {
            try {
                delegate();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("Sandboxes not ready yet ({}); the next tool call tries again", e.getMessage());
            }
        }, "agentkernel-mcp-open");
        t.setDaemon(true);
        t.start();
        return this;
    }

    private synchronized SandboxOperations delegate() {
        if (closed) {
            throw new IllegalStateException("the MCP server is shutting down");
        }
        if (delegate == null) {
            delegate = opener.get();
        }
        return delegate;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public RunResult run(RunRequest request, RunListener listener) {
        return delegate().run(request, listener);
    }

    @Override
    public SandboxInfo create(NewSandbox sandbox) {
        return delegate().create(sandbox);
    }

    @Override
    public ExecResult exec(String name, ExecRequest request, RunListener listener) {
        return delegate().exec(name, request, listener);
    }

    @Override
    public List<SandboxInfo> list() {
        return delegate().list();
    }

    @Override
    public void remove(String name) {
        delegate().remove(name);
    }

    @Override
    public SandboxInfo start(String name) {
        return delegate().start(name);
    }

    @Override
    public SandboxInfo stop(String name) {
        return delegate().stop(name);
    }

    @Override
    public FileContent readFile(String name, String path) {
        return delegate().readFile(name, path);
    }

    @Override
    public FileContent writeFile(String name, String path, byte[] content) {
        return delegate().writeFile(name, path, content);
    }

    /** Closes what was opened, once; later calls fail instead of opening again. */
    @Override
    public void close() {
        SandboxOperations toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = delegate;
        }
        if (toClose != null) {
            toClose.close();
        }
    }
}
