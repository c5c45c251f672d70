package dev.agentkernel.client;

/** The request was refused as invalid (HTTP 400, or 413 for a body that is too large); the message names the field. */
public class ValidationException extends AgentKernelClientException {
    private static final long serialVersionUID = 1L;

    public ValidationException(int status, String code, String message) {
        super(status, code, message);
    }
}
