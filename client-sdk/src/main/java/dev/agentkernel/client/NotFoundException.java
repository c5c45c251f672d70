package dev.agentkernel.client;

/** No such sandbox, file or route (HTTP 404). */
public class NotFoundException extends AgentKernelClientException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(int status, String code, String message) {
        super(status, code, message);
    }
}
