package dev.agentkernel.docker;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.DockerException;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.ErrorCode;

/** Turns docker-java failures into {@link AgentKernelException}s with a short message (no stack, no host paths). */
final class DockerErrors {
    private DockerErrors() {
    }

    static AgentKernelException map(RuntimeException e) {
        if (e instanceof AgentKernelException) {
            return (AgentKernelException) e;
        }
        if (e instanceof BadRequestException) {
            return new AgentKernelException(ErrorCode.INVALID_REQUEST, "Docker refused the request: "
                    + engineMessage(e), e);
        }
        if (e instanceof DockerException) {
            return new AgentKernelException(ErrorCode.INTERNAL, "Docker engine error: " + engineMessage(e), e);
        }
        // Transport failures (socket missing, connection refused, engine gone mid-call) surface as plain
        // runtime exceptions wrapping an IOException.
        return new AgentKernelException.BackendUnavailableException("Docker engine not reachable: "
                + rootMessage(e), e);
    }

    /** docker-java's messages look like {@code Status 409: {"message":"..."}}; keep the engine's own text. */
    static String engineMessage(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int i = m.indexOf("\"message\":\"");
        if (i >= 0) {
            int start = i + 11;
            int end = m.indexOf('"', start);
            return end > start ? m.substring(start, end) : m.substring(start);
        }
        return m.trim();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        // The message only: a Java class name means nothing to an API client and tells an attacker our stack.
        return t.getMessage() == null || t.getMessage().isBlank() ? "connection failed" : t.getMessage();
    }
}
