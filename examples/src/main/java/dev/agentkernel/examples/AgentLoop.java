package dev.agentkernel.examples;

import dev.agentkernel.api.ExecRequest;
import dev.agentkernel.api.ExecResult;
import dev.agentkernel.api.SandboxSession;
import dev.agentkernel.api.SandboxSpec;
import dev.agentkernel.client.AgentKernelClient;

import java.time.Duration;
import java.util.List;

/**
 * The shape of an AI agent's tool loop: code "generated" by a model is written into a sandbox, run with a timeout,
 * and the agent reads back what it produced. The model is a fixed list here: one program loops forever (killed by
 * the timeout), one fails, one writes its answer to a file.
 */
public final class AgentLoop {
    private AgentLoop() {
    }

    /** Stand-in for a model call: the n-th attempt at the task. */
    static String generateCode(int attempt, String feedback) {
        List<String> attempts = List.of(
                "while True:\n    pass\n",
                "print(undefined_name)\n",
                "import json\nresult = sum(i * i for i in range(10))\n"
                        + "json.dump({'sum_of_squares': result}, open('/workspace/answer.json', 'w'))\n"
                        + "print('wrote answer')\n");
        return attempts.get(Math.min(attempt, attempts.size() - 1));
    }

    public static void main(String[] args) {
        AgentKernelClient client = AgentKernelClient.create();
        // tag::agent-loop[]
        try (SandboxSession box = client.session(SandboxSpec.named("agent-loop", Images.python()).withLimits(1, 256))) {
            String feedback = "";
            for (int attempt = 0; attempt < 5; attempt++) {
                String code = generateCode(attempt, feedback);
                box.writeFile("/workspace/step.py", code);
                ExecResult r = box.exec(ExecRequest.of("python3", "/workspace/step.py")
                        .withTimeout(Duration.ofSeconds(3))); // runaway code is killed, with its children
                if (r.timedOut()) {
                    feedback = "timed out after " + r.duration().toMillis() + " ms";
                } else if (r.exitCode() != 0) {
                    feedback = "exit " + r.exitCode() + ": " + r.stderr().strip();
                } else {
                    System.out.println("attempt " + attempt + " succeeded: " + r.stdout().strip());
                    System.out.println("answer file: " + box.readFile("/workspace/answer.json").utf8().orElse("?"));
                    break;
                }
                System.out.println("attempt " + attempt + " failed: " + feedback);
            }
        }
        // end::agent-loop[]
    }
}
