package dev.agentkernel.examples;

import dev.agentkernel.api.AgentKernelException.NotFoundException;
import dev.agentkernel.api.SandboxSession;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.client.AgentKernelClient;

/** A sandbox session is removed when its block ends, also when the block throws. */
public final class SessionCleanup {
    private SessionCleanup() {
    }

    public static void main(String[] args) {
        AgentKernelClient client = AgentKernelClient.create();
        // tag::session[]
        try (SandboxSession box = client.session(SandboxSpec.named("cleanup-demo", Images.python()))) {
            box.writeFile("/workspace/data.txt", "important intermediate state");
            throw new IllegalStateException("something went wrong in the middle of the work");
        } catch (IllegalStateException e) {
            System.out.println("failed: " + e.getMessage());
        }
        // The sandbox is gone already: the session removed it before the catch block ran.
        try {
            client.get("cleanup-demo");
        } catch (NotFoundException e) {
            System.out.println("cleaned up: " + e.getMessage());
        }
        // end::session[]
    }
}
