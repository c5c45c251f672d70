package dev.agentkernel.client;

/** The sandbox name is taken or the sandbox is not in the state the call needs (HTTP 409). */
public class ConflictException extends AgentKernelClientException {
    private static final long serialVersionUID = 1L;

    public ConflictException(int status, String code, String message) {
        super(status, code, message);
    }
}
