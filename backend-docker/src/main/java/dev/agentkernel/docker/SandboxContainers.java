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
     * Not running, for a sandbox that just stopped under a command: killed (exit 137) but not yet marked OOM-killed
     * is looked at again for up to a second, since the engine records the out-of-memory event a moment after the
     * exit (seen under gVisor: the first look said only "not running" in 2 of 3 memory bombs).
     */
    AgentKernelException whyNotRunning(String name, InspectContainerResponse c) {
        InspectContainerResponse now = c;
        for (int i = 0; i < 5 && killed(now) && !Boolean.TRUE.equals(now.getState().getOOMKilled()); i++) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = find(name).orElse(now);
        }
        return notRunning(name, now);
    }

    private static boolean killed(InspectContainerResponse c) {
        Long exit = c.getState() == null ? null : c.getState().getExitCodeLong();
        return exit != null && exit == 137 && !Boolean.TRUE.equals(c.getState().getRunning());
    }

    /**
     * Not running, saying why when the engine knows it ran out of memory: under gVisor a memory limit ends the whole
     * sandbox (not one process, as under runc), and the caller's next command should not be a puzzle.
     */
    static AgentKernelException notRunning(String name, InspectContainerResponse c) {
        if (!killed(c) || !Boolean.TRUE.equals(c.getState().getOOMKilled())) {
            return notRunning(name);
        }
        Long memory = c.getHostConfig() == null ? null : c.getHostConfig().getMemory();
        return new AgentKernelException.ConflictException("Sandbox '" + name + "' is not running: it ran out of memory"
                + (memory == null || memory <= 0 ? "" : " (limit " + (memory >> 20) + " MB)")
                + " and was ended; start it again, or create it with more memory");
    }
}
