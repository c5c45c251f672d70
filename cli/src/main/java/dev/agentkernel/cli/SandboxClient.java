package dev.agentkernel.cli;

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

/**
 * What the commands need from agentkernel, wherever it runs: in this process ({@link EmbeddedClient}) or in a
 * server reached over HTTP ({@link RemoteClient}). Failures are {@link dev.agentkernel.api.AgentKernelException}s
 * in both cases, so one error table serves every command.
 */
public interface SandboxClient extends AutoCloseable {
    /** {@code embedded} or the server's base URL; shown by {@code version} and {@code doctor}. */
    String target();

    RunResult run(RunRequest request, RunListener listener, Cancellation cancellation);

    /**
     * The image a command would get here, detected from the command and the project files of {@code projectDir};
     * empty when the other side decides (a server resolves images itself).
     */
    Optional<ImageResolver.Choice> resolveImage(List<String> argv, Path projectDir);

    List<BatchOutcome> batch(List<RunRequest> requests);

    /** Creates and starts a named sandbox; a null image is resolved by agentkernel. */
    SandboxInfo create(SandboxSpec spec);

    SandboxInfo get(String name);

    List<SandboxInfo> list();

    ExecResult exec(String name, ExecRequest request, RunListener listener, Cancellation cancellation);

    SandboxInfo start(String name);

    SandboxInfo stop(String name);

    void remove(String name);

    FileContent readFile(String name, String path);

    FileContent writeFile(String name, String path, byte[] content);

    String deleteFile(String name, String path);

    List<AuditEvent> logs(String name, LogQuery query);

    PoolStats pool();

    BackendHealth health();

    @Override
    void close();
}
