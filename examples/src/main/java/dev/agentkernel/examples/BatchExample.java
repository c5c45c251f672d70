package dev.agentkernel.examples;

import dev.agentkernel.api.BatchOutcome;
import dev.agentkernel.api.RunRequest;
import dev.agentkernel.client.AgentKernelClient;

import java.util.List;

/** Several commands in parallel, each in its own temporary sandbox; results in input order. */
public final class BatchExample {
    private BatchExample() {
    }

    public static void main(String[] args) {
        AgentKernelClient client = AgentKernelClient.create();
        String image = Images.python();
        // tag::batch[]
        List<BatchOutcome> results = client.batch(List.of(
                RunRequest.of("echo", "hello").withImage(image),
                RunRequest.of("python3", "-c", "print(2+2)").withImage(image),
                RunRequest.of("python3", "-c", "import sys; sys.exit(3)").withImage(image)));
        for (BatchOutcome r : results) {
            System.out.println(r.error() == null
                    ? "exit " + r.result().exec().exitCode() + ": " + r.result().exec().output().strip()
                    : "error (" + r.error().code().code() + "): " + r.error().getMessage());
        }
        // end::batch[]
    }
}
