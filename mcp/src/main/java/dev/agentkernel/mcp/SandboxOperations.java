package dev.agentkernel.mcp;

import dev.agentkernel.core.ExecRequest;
import dev.agentkernel.core.ExecResult;
import dev.agentkernel.core.FileContent;
import dev.agentkernel.core.RunListener;
import dev.agentkernel.core.RunRequest;
import dev.agentkernel.core.RunResult;
import dev.agentkernel.core.SandboxInfo;
import dev.agentkernel.core.SecurityProfile;

import java.util.List;
import java.util.Map;

/**
 * What the MCP tools need from agentkernel, so that one set of tool handlers serves both the embedded engine
 * and a remote server. Failures are {@link dev.agentkernel.core.AgentKernelException}s with an error code.
 */
public interface SandboxOperations extends AutoCloseable {

    /** Where the sandboxes live, for the server's instructions and logs (e.g. {@code embedded (docker)}). */
    String describe();

    RunResult run(RunRequest request, RunListener listener);

    /** Creates and starts a named sandbox; null limits, profile or image take the configured defaults. */
    SandboxInfo create(NewSandbox sandbox);

    ExecResult exec(String name, ExecRequest request, RunListener listener);

    List<SandboxInfo> list();

    void remove(String name);

    SandboxInfo start(String name);

    SandboxInfo stop(String name);

    FileContent readFile(String name, String path);

    /** Returns the normalised path and the size written. */
    FileContent writeFile(String name, String path, byte[] content);

    @Override
    void close();

    /** A sandbox to create; nulls mean "the configured default". */
    record NewSandbox(String name, String image, Integer vcpus, Integer memoryMb, SecurityProfile profile,
                      Map<String, String> env) {
        public NewSandbox {
            env = env == null ? Map.of() : Map.copyOf(env);
        }
    }
}
