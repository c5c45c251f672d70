package dev.agentkernel.mcp;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;
import dev.agentkernel.api.SecurityProfile;

import java.util.List;
import java.util.Map;

/**
 * What the MCP tools need from agentkernel, so that one set of tool handlers serves both the embedded engine
 * and a remote server. Failures are {@link dev.agentkernel.api.AgentKernelException}s with an error code.
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
