package dev.agentkernel.client;

/** The API key is missing or wrong (HTTP 401). */
public class UnauthorizedException extends AgentKernelClientException {
    private static final long serialVersionUID = 1L;

    public UnauthorizedException(int status, String code, String message) {
        super(status, code, message);
    }
}
