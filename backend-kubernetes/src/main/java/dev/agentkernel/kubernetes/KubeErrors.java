package dev.agentkernel.kubernetes;

import dev.agentkernel.api.AgentKernelException;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Maps the API server's answers onto the error codes: one table, as the Docker backend's {@code DockerErrors}. */
final class KubeErrors {
    private KubeErrors() {
    }

    static AgentKernelException map(RuntimeException e) {
        if (e instanceof AgentKernelException ake) {
            return ake;
        }
        if (!(e instanceof KubernetesClientException k)) {
            return new AgentKernelException.BackendUnavailableException("Kubernetes call failed: " + e, e);
        }
        String message = message(k);
        return switch (k.getCode()) {
            case 404 -> new AgentKernelException.NotFoundException(message);
            case 409 -> new AgentKernelException.ConflictException(message);
            case 400, 422 -> new AgentKernelException.InvalidRequestException("The Kubernetes API server refused the "
                    + "request: " + message);
            case 403 -> new AgentKernelException.BackendUnavailableException("The Kubernetes API server forbids it "
                    + "(check the service account's Role, see deploy/kubernetes): " + message, e);
            case 401 -> new AgentKernelException.BackendUnavailableException("Not authenticated to the Kubernetes API "
                    + "server: " + message, e);
            default -> new AgentKernelException.BackendUnavailableException("The Kubernetes API server is not usable: "
                    + message, e);
        };
    }

    /** The API server's own message when it sent a Status, else the client's. */
    static String message(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
    }
}
