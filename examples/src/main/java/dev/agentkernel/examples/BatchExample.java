package dev.agentkernel.examples;

import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.client.BatchResult;
import dev.agentkernel.client.RunRequest;

import java.util.List;

/** Several commands in parallel, each in its own temporary sandbox; results in input order. */
public final class BatchExample {
    private BatchExample() {
    }

    public static void main(String[] args) {
        AgentKernelClient client = AgentKernelClient.create();
        String image = Images.python();
        // tag::batch[]
        List<BatchResult> results = client.batch(List.of(
                RunRequest.of("echo", "hello").withImage(image),
                RunRequest.of("python3", "-c", "print(2+2)").withImage(image),
                RunRequest.of("python3", "-c", "import sys; sys.exit(3)").withImage(image)));
        for (BatchResult r : results) {
            System.out.println(r.isOk()
                    ? "exit " + r.result().exitCode() + ": " + r.result().output().strip()
                    : "error: " + r.error());
        }
        // end::batch[]
    }
}
