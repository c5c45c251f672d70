package dev.agentkernel.core;

import dev.agentkernel.core.config.AgentKernelConfig;

import java.util.List;

/**
 * The one entry point for embedders, the server and the CLI. Thread-safe: one instance serves many
 * concurrent callers. Closing it drains the warm pool and removes the temporary sandboxes it made;
 * named sandboxes are left alone.
 *
 * <p>TODO(core services issue): the implementation. The signatures here are the contract the server and
 * the CLI code against.
 */
public final class AgentKernel implements AutoCloseable {

    private AgentKernel() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs a command in a temporary sandbox (pooled when {@code fast}) that is removed afterwards. */
    public RunResult run(RunRequest request) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Like {@link #run} with events as they happen; cancelling kills the command and removes the sandbox. */
    public RunResult runStreaming(RunRequest request, RunListener listener, Cancellation cancellation) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Runs every request in its own sandbox with bounded parallelism; results in input order. */
    public List<BatchOutcome> batch(List<RunRequest> requests) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Creates and starts a named sandbox; a null image is resolved from the configuration. */
    public SandboxInfo create(SandboxSpec spec) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public SandboxInfo get(String name) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Named sandboxes (and temporary ones while they run); pool members are not listed. */
    public List<SandboxInfo> list() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public ExecResult exec(String name, ExecRequest request) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public ExecResult execStreaming(String name, ExecRequest request, RunListener listener, Cancellation cancellation) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public SandboxInfo stop(String name) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public SandboxInfo start(String name) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public void remove(String name) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public FileContent readFile(String name, String path) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Writes a file, creating parents; returns the normalised path and size written. */
    public FileContent writeFile(String name, String path, byte[] content) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Returns the normalised path deleted. */
    public String deleteFile(String name, String path) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Audit events of one sandbox (exact name), sorted by time; readable after the sandbox is removed. */
    public List<AuditEvent> logs(String name, LogQuery query) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public PoolStats poolStats() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public BackendHealth health() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public AgentKernelConfig config() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    @Override
    public void close() {
    }

    /** Builds an {@link AgentKernel}. */
    public static final class Builder {
        private Backend backend;
        private AgentKernelConfig config = AgentKernelConfig.defaults();

        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        public Builder config(AgentKernelConfig config) {
            this.config = config;
            return this;
        }

        public AgentKernel build() {
            throw new UnsupportedOperationException("not implemented yet");
        }
    }
}
