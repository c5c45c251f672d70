package dev.agentkernel.mcp;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.FileContent;
import dev.agentkernel.api.RunListener;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxInfo;

import java.util.List;

/** Operations that must not be reached: for tests of argument checks that happen before any engine call. */
final class UnusedOperations implements SandboxOperations {
    private static AssertionError reached() {
        return new AssertionError("the engine must not be called for an invalid request");
    }

    @Override public String describe() { return "unused"; }
    @Override public RunResult run(RunRequest request, RunListener listener) { throw reached(); }
    @Override public SandboxInfo create(NewSandbox sandbox) { throw reached(); }
    @Override public ExecResult exec(String name, ExecRequest request, RunListener listener) { throw reached(); }
    @Override public List<SandboxInfo> list() { throw reached(); }
    @Override public void remove(String name) { throw reached(); }
    @Override public SandboxInfo start(String name) { throw reached(); }
    @Override public SandboxInfo stop(String name) { throw reached(); }
    @Override public FileContent readFile(String name, String path) { throw reached(); }
    @Override public FileContent writeFile(String name, String path, byte[] content) { throw reached(); }
    @Override public void close() { }
}
