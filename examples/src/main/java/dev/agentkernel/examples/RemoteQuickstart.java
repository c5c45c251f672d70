package dev.agentkernel.examples;

import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxSession;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.client.AgentKernelClient;

/**
 * The client SDK against a running server ({@code agentkernel serve}). Needs only the
 * {@code dev.agentkernel:agentkernel-client-sdk} artifact (and the {@code agentkernel-api} it brings); reads {@code AGENTKERNEL_BASE_URL} (default
 * {@code http://localhost:18888}) and {@code AGENTKERNEL_API_KEY}. Self-contained on purpose: the SDK smoke test
 * ({@code scripts/sdk-smoke.sh}) compiles this very file in a fresh project.
 */
public final class RemoteQuickstart {
    private RemoteQuickstart() {
    }

    public static void main(String[] args) {
        String image = System.getenv().getOrDefault("AGENTKERNEL_EXAMPLE_IMAGE", "python:3.12-alpine");
        // tag::remote[]
        AgentKernelClient client = AgentKernelClient.create(); // AGENTKERNEL_BASE_URL, AGENTKERNEL_API_KEY
        System.out.println("server: " + (client.health().available() ? "ok" : "unavailable"));

        // A one-off command in a temporary sandbox.
        RunResult run = client.run("python3", "-c", "print(1+1)");
        System.out.print("run: " + run.exec().stdout());

        // A named sandbox, removed when the block ends (even if it throws).
        try (SandboxSession box = client.session(SandboxSpec.named("remote-quickstart", image))) {
            box.writeFile("/workspace/hello.py", "print('hello from the sandbox')");
            ExecResult exec = box.exec("python3", "/workspace/hello.py");
            System.out.print("exec: " + exec.stdout());
            System.out.println("exit code: " + exec.exitCode());
            System.out.println("file: " + box.readFile("/workspace/hello.py").utf8().orElse("(binary)"));
        }
        // end::remote[]
    }
}
