package dev.agentkernel.examples;

import dev.agentkernel.core.AgentKernel;
import dev.agentkernel.core.KernelFactory;
import dev.agentkernel.core.config.ConfigLoader;
import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.api.RunResult;
import dev.agentkernel.api.SandboxSpec;

import java.nio.charset.StandardCharsets;

/**
 * agentkernel as a library, in-process, with the Docker backend: a one-off run, then a named sandbox with files.
 * Needs a running Docker engine. Run: {@code ./mvnw -q -pl examples -am compile exec:java ...} or from the IDE.
 */
public final class EmbeddedQuickstart {
    private EmbeddedQuickstart() {
    }

    public static void main(String[] args) {
        String image = Images.python();
        // tag::embedded[]
        // agentkernel.toml (or ~/.agentkernel/config.toml) and AGENTKERNEL_* variables; the defaults without them.
        try (AgentKernel kernel = KernelFactory.fromConfig(ConfigLoader.load())) {
            // A one-off command in a temporary sandbox, removed afterwards.
            RunResult run = kernel.run(RunRequest.of("python3", "-c", "print(1+1)").withImage(image));
            System.out.print("run: " + run.exec().stdout());

            // A named sandbox that keeps its files between commands.
            kernel.create(SandboxSpec.named("quickstart", image));
            try {
                kernel.writeFile("quickstart", "/workspace/hello.py",
                        "print('hello from the sandbox')".getBytes(StandardCharsets.UTF_8));
                ExecResult exec = kernel.exec("quickstart", ExecRequest.of("python3", "/workspace/hello.py"));
                System.out.print("exec: " + exec.stdout());
                System.out.println("exit code: " + exec.exitCode());
                System.out.println("file: " + kernel.readFile("quickstart", "/workspace/hello.py").utf8().orElse("?"));
            } finally {
                kernel.remove("quickstart");
            }
        }
        // end::embedded[]
    }
}
