package dev.agentkernel.examples;

import dev.agentkernel.api.RunRequest;
import dev.agentkernel.client.AgentKernelClient;
import dev.agentkernel.client.EventStream;
import dev.agentkernel.client.StreamEvent;

/** Prints a command's output as it is produced, through the server's Server-Sent Events stream. */
public final class StreamingOutput {
    private StreamingOutput() {
    }

    public static void main(String[] args) {
        AgentKernelClient client = AgentKernelClient.create();
        String script = "import time\nfor i in range(5):\n    print('step', i, flush=True)\n    time.sleep(0.3)\n";
        // tag::streaming[]
        RunRequest request = RunRequest.of("python3", "-c", script).withImage(Images.python());
        try (EventStream events = client.runStream(request)) { // closing it early cancels the command
            for (StreamEvent event : events) {
                if (event instanceof StreamEvent.Output out) {
                    System.out.print(out.content());
                } else if (event instanceof StreamEvent.Done done) {
                    System.out.println("exit code " + done.exitCode());
                } else if (event instanceof StreamEvent.Error error) {
                    System.err.println("failed: " + error.message());
                }
            }
        }
        // end::streaming[]
    }
}
