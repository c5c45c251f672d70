package dev.agentkernel.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.agentkernel.api.AgentKernelException;
import dev.agentkernel.api.Validation;

import java.util.Map;
import java.util.Optional;

/**
 * Finds the container of a sandbox by its name: {@code agentkernel-<name>}, accepted only when its labels say it
 * is that sandbox of ours ({@link Labels#isManaged}). Shared by the backend and the transports, so "not found"
 * and "not running" read the same whichever asks.
 */
final class SandboxContainers {
    private final DockerClient client;

    SandboxContainers(DockerClient client) {
        this.client = client;
    }

    /** The sandbox's container, or empty when there is none of ours by that name. */
    Optional<InspectContainerResponse> find(String name) {
        Validation.sandboxName(name);
        InspectContainerResponse c;
        try {
            c = client.inspectContainerCmd(Labels.containerName(name)).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e);
        }
        Map<String, String> labels = c.getConfig() == null ? null : c.getConfig().getLabels();
        if (!Labels.isManaged(labels, c.getName()) || !name.equals(labels.get(Labels.NAME))) {
            return Optional.empty();
        }
        return Optional.of(c);
    }

    InspectContainerResponse require(String name) {
        return find(name).orElseThrow(() -> AgentKernelException.sandboxNotFound(name));
    }

    /** The container of a running sandbox of ours; not found or not running is a clear error. */
    InspectContainerResponse requireRunning(String name) {
        InspectContainerResponse c = require(name);
        if (!Boolean.TRUE.equals(c.getState().getRunning())) {
            throw notRunning(name, c);
        }
        return c;
    }

    static AgentKernelException notRunning(String name) {
        return new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running");
    }

    /**
     * Not running, saying why when the engine knows it ran out of memory: under gVisor a memory limit ends the whole
     * sandbox (not one process, as under runc), and the caller's next command should not be a puzzle.
     */
    static AgentKernelException notRunning(String name, InspectContainerResponse c) {
        InspectContainerResponse.ContainerState state = c.getState();
        Long exit = state == null ? null : state.getExitCodeLong();
        if (state == null || !Boolean.TRUE.equals(state.getOOMKilled()) || exit == null || exit != 137) {
            return notRunning(name);
        }
        Long memory = c.getHostConfig() == null ? null : c.getHostConfig().getMemory();
        return new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running: it ran out of memory"
                + (memory == null || memory <= 0 ? "" : " (limit " + (memory >> 20) + " MB)")
                + " and was ended; start it again, or create it with more memory");
    }
}
